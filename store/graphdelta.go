package store

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync/atomic"
)

// delta is what a read-write transaction wrote to the data a Graph holds:
// the JSON of each release, external item and dependency it put, by store
// key, and nil for each it deleted. The last write of a key wins.
type delta struct {
	rels, exts, deps map[string][]byte
}

func (d *delta) empty() bool { return len(d.rels)+len(d.exts)+len(d.deps) == 0 }

// record notes that key of bucket now holds v (nil: deleted). v must not
// change afterwards. Buckets a Graph does not read are ignored.
func (d *delta) record(bucket []byte, key string, v []byte) {
	var m *map[string][]byte
	switch {
	case bytes.Equal(bucket, bucketReleases):
		m = &d.rels
	case bytes.Equal(bucket, bucketExternals):
		m = &d.exts
	case bytes.Equal(bucket, bucketDeps):
		m = &d.deps
	default:
		return
	}
	if *m == nil {
		*m = make(map[string][]byte)
	}
	(*m)[key] = v
}

// decodeDelta decodes the values of m in key order; a deleted key has a nil
// value.
func decodeDelta[T any](m map[string][]byte) ([]string, []*T, error) {
	keys := slices.Sorted(maps.Keys(m))
	vals := make([]*T, len(keys))
	for i, k := range keys {
		if m[k] == nil {
			continue
		}
		vals[i] = new(T)
		if err := json.Unmarshal(m[k], vals[i]); err != nil {
			return nil, nil, fmt.Errorf("decode %s: %w", k, err)
		}
	}
	return keys, vals, nil
}

// apply returns the Graph of g's data changed by d. g is not modified: the
// result shares with it what d did not touch. Removing a release or an
// external item, or too many removed edges, rebuild the indexes from the
// values in memory; every other change is patched in.
func (g *Graph) apply(d *delta) (*Graph, error) {
	if d.empty() {
		return g, nil
	}
	rkeys, rels, err := decodeDelta[Release](d.rels)
	if err != nil {
		return nil, err
	}
	xkeys, exts, err := decodeDelta[External](d.exts)
	if err != nil {
		return nil, err
	}
	dkeys, deps, err := decodeDelta[Dependency](d.deps)
	if err != nil {
		return nil, err
	}
	rebuild := g.ngone+len(dkeys) > len(g.deps)/4+64
	for i, k := range rkeys {
		if _, ok := g.index[k]; ok && rels[i] == nil {
			rebuild = true
		}
	}
	for i, k := range xkeys {
		if _, ok := g.index["ext:"+k]; ok && exts[i] == nil {
			rebuild = true
		}
	}
	if rebuild {
		return g.rebuild(rkeys, rels, xkeys, exts, dkeys, deps), nil
	}
	p := &patch{Graph: &Graph{
		keys: g.keys, index: g.index, releases: g.releases, externals: g.externals,
		deps: g.deps, ends: g.ends, out: g.out, in: g.in, rels: g.rels, byProduct: g.byProduct,
		gone: g.gone, ngone: g.ngone, depsClaim: g.depsClaim,
	}}
	added := false
	for i, k := range rkeys {
		if r := rels[i]; r != nil {
			added = p.putNode(k, r, nil) || added
		}
	}
	for i, k := range xkeys {
		if x := exts[i]; x != nil {
			added = p.putNode("ext:"+k, nil, x) || added
		}
	}
	if added {
		p.connectDangling()
	}
	for i, k := range dkeys {
		p.putEdge(k, deps[i])
	}
	if g.datedDone.Load() {
		p.redate(g, rkeys, rels)
	}
	return p.Graph, nil
}

// redate gives p the date order of g changed by the releases put, so a
// list after a move does not sort every release again.
func (p *patch) redate(g *Graph, rkeys []string, rels []*Release) {
	dated := slices.Clone(g.dated)
	for i, k := range rkeys {
		r := rels[i]
		if r == nil {
			continue // a release removed: apply rebuilds instead
		}
		if n, ok := g.index[k]; ok && g.releases[n] != nil {
			if at, found := slices.BinarySearchFunc(dated, g.releases[n], CompareByDate); found {
				dated = slices.Delete(dated, at, at+1)
			}
		}
		at, _ := slices.BinarySearchFunc(dated, r, CompareByDate)
		dated = slices.Insert(dated, at, r)
	}
	p.byDate.Do(func() {
		p.dated = dated
		p.datedDone.Store(true)
	})
}

// rebuild indexes anew g's values changed by the decoded delta.
func (g *Graph) rebuild(rkeys []string, rels []*Release, xkeys []string, exts []*External, dkeys []string, deps []*Dependency) *Graph {
	rs := make([]Release, 0, len(g.rels)+len(rkeys))
	j := 0
	for _, r := range g.rels { // merge two key orders
		k := r.Key()
		for ; j < len(rkeys) && rkeys[j] < k; j++ {
			if rels[j] != nil {
				rs = append(rs, *rels[j])
			}
		}
		if j < len(rkeys) && rkeys[j] == k {
			if rels[j] != nil {
				rs = append(rs, *rels[j])
			}
			j++
			continue
		}
		rs = append(rs, *r)
	}
	for ; j < len(rkeys); j++ {
		if rels[j] != nil {
			rs = append(rs, *rels[j])
		}
	}

	xm := make(map[string]*External)
	for i, x := range g.externals {
		if x != nil {
			xm[strings.TrimPrefix(g.keys[i], "ext:")] = x
		}
	}
	for i, k := range xkeys {
		xm[k] = exts[i]
	}
	xs := make([]External, 0, len(xm))
	for _, k := range slices.Sorted(maps.Keys(xm)) {
		if xm[k] != nil {
			xs = append(xs, *xm[k])
		}
	}

	type keyed struct {
		k string
		d *Dependency
	}
	changed := make(map[string]bool, len(dkeys))
	for _, k := range dkeys {
		changed[k] = true
	}
	kds := make([]keyed, 0, len(g.deps)-g.ngone+len(dkeys))
	for e := range g.deps {
		if k := g.deps[e].Key(); !g.isGone(e) && !changed[k] {
			kds = append(kds, keyed{k, &g.deps[e]})
		}
	}
	for i, k := range dkeys {
		if deps[i] != nil {
			kds = append(kds, keyed{k, deps[i]})
		}
	}
	slices.SortFunc(kds, func(a, b keyed) int { return strings.Compare(a.k, b.k) })
	ds := make([]Dependency, len(kds))
	for i := range kds {
		ds[i] = *kds[i].d
	}
	return newGraph(rs, xs, ds, true)
}

func (g *Graph) isGone(e int) bool { return e < len(g.gone) && g.gone[e] }

// patch changes a Graph that shares its slices and maps with another,
// copying each the first time it changes it.
type patch struct {
	*Graph
	// which of the shared slices and maps this patch has copied
	ownsReleases, ownsExternals, ownsKeys, ownsIndex, ownsEnds, ownsGone, ownsOut, ownsIn, ownsRels, ownsProducts bool
	outs, ins                                                                                                     map[int]bool
	products                                                                                                      map[string]bool
}

// ownNodes copies the node slices that change when a release (r) or an
// external item (!r) changes, and keys too when a node is added.
func (p *patch) ownNodes(r, keys bool) {
	if r && !p.ownsReleases {
		p.ownsReleases = true
		p.releases = slices.Clone(p.releases)
	}
	if !r && !p.ownsExternals {
		p.ownsExternals = true
		p.externals = slices.Clone(p.externals)
	}
	if keys && !p.ownsKeys {
		p.ownsKeys = true
		p.keys = slices.Clone(p.keys)
		p.ownNodes(!r, false) // an added node appends to both
	}
}

func (p *patch) ownOut(c int) {
	if !p.ownsOut {
		p.ownsOut, p.outs = true, make(map[int]bool)
		p.out = slices.Clone(p.out)
	}
	if !p.outs[c] {
		p.outs[c] = true
		p.out[c] = slices.Clone(p.out[c])
	}
}

func (p *patch) ownIn(n int) {
	if !p.ownsIn {
		p.ownsIn, p.ins = true, make(map[int]bool)
		p.in = slices.Clone(p.in)
	}
	if !p.ins[n] {
		p.ins[n] = true
		p.in[n] = slices.Clone(p.in[n])
	}
}

func (p *patch) ownEnds() {
	if !p.ownsEnds {
		p.ownsEnds = true
		p.ends = slices.Clone(p.ends)
	}
}

func (p *patch) ownGone() {
	if !p.ownsGone {
		p.ownsGone = true
		p.gone = append(make([]bool, 0, len(p.deps)+16), p.gone...)
	}
}

func (p *patch) ownProduct(product string) {
	if !p.ownsProducts {
		p.ownsProducts, p.products = true, make(map[string]bool)
		p.byProduct = maps.Clone(p.byProduct)
	}
	if !p.products[product] {
		p.products[product] = true
		p.byProduct[product] = slices.Clone(p.byProduct[product])
	}
}

func compareKey(r *Release, key string) int { return strings.Compare(r.Key(), key) }

// putNode stores a release or an external item under key (a provider key)
// and reports whether it is a new node.
func (p *patch) putNode(key string, r *Release, x *External) bool {
	if i, ok := p.index[key]; ok {
		// A key names a release or an external item for good ("ext:"),
		// so only one of the two slices changes.
		p.ownNodes(r != nil, false)
		if x != nil {
			p.externals[i] = x
		}
		if r != nil {
			p.releases[i] = r
			if !p.ownsRels {
				p.ownsRels = true
				p.rels = slices.Clone(p.rels)
			}
			at, _ := slices.BinarySearchFunc(p.rels, key, compareKey)
			p.rels[at] = r
			p.ownProduct(r.Product)
			rs := p.byProduct[r.Product]
			at, _ = slices.BinarySearchFunc(rs, key, compareKey)
			rs[at] = r
		}
		return false
	}
	p.ownNodes(r != nil, true)
	if !p.ownsIndex {
		p.ownsIndex = true
		p.index = maps.Clone(p.index)
	}
	p.add(key, r, x)
	if !p.ownsOut {
		p.ownsOut, p.outs = true, make(map[int]bool)
		p.out = slices.Clone(p.out)
	}
	if !p.ownsIn {
		p.ownsIn, p.ins = true, make(map[int]bool)
		p.in = slices.Clone(p.in)
	}
	p.out = append(p.out, nil)
	p.in = append(p.in, nil)
	if r != nil {
		if !p.ownsRels {
			p.ownsRels = true
			p.rels = slices.Clone(p.rels)
		}
		at, _ := slices.BinarySearchFunc(p.rels, key, compareKey)
		p.rels = slices.Insert(p.rels, at, r)
		p.ownProduct(r.Product)
		rs := p.byProduct[r.Product]
		at, _ = slices.BinarySearchFunc(rs, key, compareKey)
		p.byProduct[r.Product] = slices.Insert(rs, at, r)
	}
	return true
}

// resolve returns the nodes an edge connects, or false if it is dangling.
func (p *patch) resolve(d *Dependency) (int, int, bool) {
	c, ok1 := p.index[d.Consumer.Key()]
	n, ok2 := p.index[d.ProviderKey()]
	if !ok1 || !ok2 || p.releases[c] == nil {
		return 0, 0, false
	}
	return c, n, true
}

// connect links edge e between consumer c and provider n, keeping the
// edge lists in key order.
func (p *patch) connect(e, c, n int) {
	p.ownEnds()
	p.ends[e] = ends{int32(c), int32(n)}
	key := p.deps[e].Key()
	byKey := func(x int, k string) int { return strings.Compare(p.deps[x].Key(), k) }
	p.ownOut(c)
	at, _ := slices.BinarySearchFunc(p.out[c], key, byKey)
	p.out[c] = slices.Insert(p.out[c], at, e)
	p.ownIn(n)
	at, _ = slices.BinarySearchFunc(p.in[n], key, byKey)
	p.in[n] = slices.Insert(p.in[n], at, e)
}

// connectDangling links the edges whose consumer or provider has just
// been added.
func (p *patch) connectDangling() {
	for e := range p.deps {
		if p.ends[e].c >= 0 || p.isGone(e) {
			continue
		}
		if c, n, ok := p.resolve(&p.deps[e]); ok {
			p.connect(e, c, n)
		}
	}
}

// findEdge returns the index of the live edge with the given key, or -1.
func (p *patch) findEdge(key string) int {
	consumer, _, _ := strings.Cut(key, " ")
	if c, ok := p.index[consumer]; ok {
		for _, e := range p.out[c] {
			if p.deps[e].Key() == key {
				return e
			}
		}
	}
	for e := range p.deps {
		if p.ends[e].c < 0 && !p.isGone(e) && p.deps[e].Key() == key {
			return e
		}
	}
	return -1
}

// putEdge replaces the edge with the given key by d (nil: removes it).
// Edges are never changed in place: the old one is marked gone and the
// new one appended.
func (p *patch) putEdge(key string, d *Dependency) {
	if e := p.findEdge(key); e >= 0 {
		p.ownGone()
		for len(p.gone) <= e {
			p.gone = append(p.gone, false)
		}
		p.gone[e] = true
		p.ngone++
		if end := p.ends[e]; end.c >= 0 {
			c, n := int(end.c), int(end.p)
			p.ownOut(c)
			p.out[c] = slices.DeleteFunc(p.out[c], func(x int) bool { return x == e })
			p.ownIn(n)
			p.in[n] = slices.DeleteFunc(p.in[n], func(x int) bool { return x == e })
			p.ownEnds()
			p.ends[e] = ends{-1, -1}
		}
	}
	if d == nil {
		return
	}
	e := p.appendDep(*d)
	p.ownEnds()
	p.ends = append(p.ends, ends{-1, -1})
	if c, n, ok := p.resolve(d); ok {
		p.connect(e, c, n)
	}
}

// appendDep appends d to deps and returns its index. deps' backing array
// is shared along a chain of Graphs: a Graph appends in place only to the
// entries it claims (no other Graph has used them), else it copies.
func (p *patch) appendDep(d Dependency) int {
	n := len(p.deps)
	if p.depsClaim == nil || n == cap(p.deps) || !p.depsClaim.CompareAndSwap(int64(n), int64(n+1)) {
		deps := make([]Dependency, n, n+n/8+16)
		copy(deps, p.deps)
		p.deps = deps
		p.depsClaim = new(atomic.Int64)
		p.depsClaim.Store(int64(n + 1))
	}
	p.deps = append(p.deps, d)
	return n
}
