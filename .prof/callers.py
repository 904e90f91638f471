import json,sys,collections
p=json.load(open(sys.argv[1])); target=sys.argv[2]
nodes={n['id']:n for n in p['nodes']}; parent={}
for n in p['nodes']:
    for c in n.get('children',[]): parent[c]=n['id']
def name(i):
    cf=nodes[i]['callFrame']; return f"{cf['functionName'] or '(anon)'} {cf['url'].split('/')[-1]}:{cf['lineNumber']}"
cnt=collections.Counter(p['samples'])
agg=collections.Counter()
for i,k in cnt.items():
    if nodes[i]['callFrame']['functionName']!=target: continue
    st=[];j=i
    while j is not None and len(st)<9: st.append(name(j)); j=parent.get(j)
    agg[' < '.join(st[1:])]+=k
for k,v in agg.most_common(6): print(v,k)
