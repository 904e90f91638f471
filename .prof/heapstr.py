import json,sys,collections
h=json.load(open(sys.argv[1]))
meta=h['snapshot']['meta']; nf=meta['node_fields']; N=len(nf)
types=meta['node_types'][0]; strings=h['strings']; nodes=h['nodes']
ti=nf.index('type'); ni=nf.index('name'); si=nf.index('self_size')
big=[]
for i in range(0,len(nodes),N):
    if types[nodes[i+ti]]=='string' and nodes[i+si]>100000: big.append((nodes[i+si],strings[nodes[i+ni]][:120].replace('\n',' ')))
big.sort(reverse=True)
print(sum(b[0] for b in big)/1e6,'MB in',len(big))
for s,n in big[:25]: print(f"{s/1e6:6.2f} {n}")
