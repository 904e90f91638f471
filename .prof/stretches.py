import json,sys,collections
p=json.load(open(sys.argv[1]))
nodes={n['id']:n for n in p['nodes']}
parent={}
for n in p['nodes']:
    for c in n.get('children',[]): parent[c]=n['id']
def name(i):
    cf=nodes[i]['callFrame']; return f"{cf['functionName'] or '(anon)'} {cf['url'].split('/')[-1]}:{cf['lineNumber']}"
t=p['startTime']; samples=p['samples']; deltas=p['timeDeltas']
times=[]
for d in deltas: t+=d; times.append(t)
start_from=float(sys.argv[2]) if len(sys.argv)>2 else 0  # seconds from end
end=times[-1]
idle={i for i,n in nodes.items() if n['callFrame']['functionName'] in ('(idle)','(program)','(garbage collector)')}
idle_only={i for i,n in nodes.items() if n['callFrame']['functionName']=='(idle)'}
# stretches of non-idle
stretches=[];cur=None
for s,tm in zip(samples,times):
    if tm < end - start_from*1e6: continue
    if s in idle_only:
        if cur and tm-cur[0]>0: stretches.append((cur[0],tm,cur[2])); 
        cur=None
    else:
        if cur is None: cur=[tm,tm,collections.Counter()]
        cur[2][s]+=1
stretches.sort(key=lambda x:-(x[1]-x[0]))
def stack(i):
    out=[]
    while i in nodes:
        out.append(name(i)); i=parent.get(i)
        if i is None: break
    return out
for a,b,c in stretches[:int(sys.argv[3]) if len(sys.argv)>3 else 6]:
    print(f"--- {(b-a)/1000:.1f} ms at {(a-times[0])/1e6:.2f}s")
    agg=collections.Counter()
    for s,k in c.items():
        st=stack(s)
        agg[' < '.join(st[:5])]+=k
    for k,v in agg.most_common(8): print(f"  {v:4d} {k}")
# self time total in window
selft=collections.Counter()
for s,tm in zip(samples,times):
    if tm >= end - start_from*1e6: selft[name(s)]+=1
print("=== self top")
for k,v in selft.most_common(25): print(f"{v:6d} {k}")
