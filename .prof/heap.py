import json,sys,collections
h=json.load(open(sys.argv[1]))
meta=h['snapshot']['meta']; nf=meta['node_fields']; N=len(nf)
types=meta['node_types'][0]; strings=h['strings']; nodes=h['nodes']
ti=nf.index('type'); ni=nf.index('name'); si=nf.index('self_size')
agg=collections.Counter(); cnt=collections.Counter()
for i in range(0,len(nodes),N):
    t=types[nodes[i+ti]]; name=strings[nodes[i+ni]]
    key=t if t in ('string','concatenated string','sliced string','code','number','hidden','array') else f"{t}:{name[:60]}"
    agg[key]+=nodes[i+si]; cnt[key]+=1
tot=sum(agg.values()); print('total MB',tot/1e6)
for k,v in agg.most_common(30): print(f"{v/1e6:8.2f} MB {cnt[k]:8d} {k}")
