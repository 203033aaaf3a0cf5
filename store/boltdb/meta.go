package boltdb

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
)

// The layout of a bbolt file's pages, read here with ReadAt so that a
// damaged file is looked at before bbolt maps it: bbolt trusts what its
// pages say and reads through the map wherever they point, so a file cut
// short or a page id gone wrong crashes the process (SIGSEGV or SIGBUS),
// which no recover catches. bbolt's own definitions are in its internal
// package, which cannot be imported; these follow go.etcd.io/bbolt v1.5.0:
//
//   - internal/common/page.go, type Page: every page starts with a 16-byte
//     header: id uint64 at 0, flags uint16 at 8, count uint16 at 10,
//     overflow uint32 at 12. Flags: branch 0x01, leaf 0x02, meta 0x04,
//     freelist 0x10.
//   - internal/common/meta.go, type Meta, right after the header of pages 0
//     and 1: magic uint32 at 0, version uint32 at 4, pageSize uint32 at 8,
//     flags uint32 at 12, root InBucket{root pgid, sequence uint64} at 16,
//     freelist pgid at 32, pgid (the high-water mark: the number of pages
//     in use) at 40, txid at 48, checksum uint64 at 56: FNV-64a of the 56
//     bytes before it (Meta.Sum64). Meta.Validate checks magic, version
//     and checksum in that order.
//   - internal/common/types.go: Magic 0xED0CDAED, Version 2,
//     PgidNoFreelist 0xffffffffffffffff.
//   - internal/common/page.go, FreelistPageCount: a freelist page lists
//     count page ids (uint64) after its header; a count of 0xFFFF means
//     the real count is the first uint64 there.
//   - db.go, getPageSize: the page size is read from meta page 0, else
//     from meta page 1 looked for at 1 KiB << i, i = 0…14.
//
// bbolt writes these structs as they lie in memory, in the machine's byte
// order.
const (
	pageHeaderSize   = 16
	metaSize         = 64
	metaSumSize      = 56
	boltMagic        = 0xED0CDAED
	boltVersion      = 2
	branchPageFlag   = 0x01
	leafPageFlag     = 0x02
	metaPageFlag     = 0x04
	freelistPageFlag = 0x10
	pgidNoFreelist   = ^uint64(0)
)

// pageHeader is the header every page starts with.
type pageHeader struct {
	id       uint64
	flags    uint16
	count    uint16
	overflow uint32
}

func parsePageHeader(b []byte) pageHeader {
	e := binary.NativeEndian
	return pageHeader{id: e.Uint64(b[0:]), flags: e.Uint16(b[8:]), count: e.Uint16(b[10:]), overflow: e.Uint32(b[12:])}
}

// meta is one of the two meta pages: where the data's tree starts, and
// how many pages it uses.
type meta struct {
	magic, version, pageSize, flags uint32
	root, sequence, freelist, pgid  uint64
	txid, checksum                  uint64
}

func parseMeta(b []byte) meta {
	e := binary.NativeEndian
	return meta{
		magic: e.Uint32(b[0:]), version: e.Uint32(b[4:]), pageSize: e.Uint32(b[8:]), flags: e.Uint32(b[12:]),
		root: e.Uint64(b[16:]), sequence: e.Uint64(b[24:]), freelist: e.Uint64(b[32:]), pgid: e.Uint64(b[40:]),
		txid: e.Uint64(b[48:]), checksum: e.Uint64(b[56:]),
	}
}

// metaFault says what is wrong with the meta page at page (page id n,
// counted from its header), or "" if it is whole: Meta.Validate's checks,
// then that the page says it is meta page n and that its pointers fall
// below its high-water mark, as Meta.Write asserts.
func metaFault(page []byte, n uint64) string {
	if len(page) < pageHeaderSize+metaSize {
		return "it is cut short"
	}
	m := parseMeta(page[pageHeaderSize:])
	h := fnv.New64a()
	h.Write(page[pageHeaderSize : pageHeaderSize+metaSumSize])
	switch {
	case m.magic != boltMagic:
		return fmt.Sprintf("it is not a bbolt meta page (magic %#08x; want %#08x)", m.magic, boltMagic)
	case m.version != boltVersion:
		return fmt.Sprintf("it has bbolt format version %d; this relman reads version %d", m.version, boltVersion)
	case m.checksum != h.Sum64():
		return fmt.Sprintf("its checksum does not match (%016x; the content sums to %016x): it was damaged or half written", m.checksum, h.Sum64())
	}
	if p := parsePageHeader(page); p.id != n || p.flags != metaPageFlag {
		return fmt.Sprintf("its header says page %d with flags %#02x; want page %d with flags %#02x", p.id, p.flags, n, metaPageFlag)
	}
	switch {
	case m.pageSize < 512 || m.pageSize&(m.pageSize-1) != 0:
		return fmt.Sprintf("its page size %d is not a power of two of at least 512", m.pageSize)
	case m.root < 2 || m.root >= m.pgid:
		return fmt.Sprintf("its root page %d is outside the pages in use (2 to %d)", m.root, m.pgid-1)
	case m.freelist != pgidNoFreelist && (m.freelist < 2 || m.freelist >= m.pgid):
		return fmt.Sprintf("its freelist page %d is outside the pages in use (2 to %d)", m.freelist, m.pgid-1)
	}
	return ""
}

// fileLayout is what the meta pages of a bbolt file say, and what is
// wrong with the file as far as they and the file's size tell.
type fileLayout struct {
	size     int64
	pageSize int
	// meta is the meta page bbolt would use: the whole one with the
	// higher transaction id. Valid when ok.
	meta meta
	ok   bool
	// faults lists what is wrong, each naming the page it is about.
	faults []string
	// metaOnly says that every fault is about one meta page and the
	// other is whole: bbolt reads the file as of the other one's
	// transaction, so a copy of it (relman backup) is consistent.
	metaOnly bool
}

// readLayout reads the meta pages of the bbolt file f (size bytes) and
// checks them, the file's size against their high-water mark, and the
// headers of the root and freelist pages, without mapping or writing the
// file. An error is about reading it, not what it holds.
func readLayout(f *os.File, size int64) (fileLayout, error) {
	l := fileLayout{size: size}
	read := func(off int64, n int) ([]byte, error) {
		b := make([]byte, n)
		k, err := f.ReadAt(b, off)
		if errors.Is(err, io.EOF) {
			return b[:k], nil
		}
		return b[:k], err
	}
	page0, err := read(0, pageHeaderSize+metaSize)
	if err != nil {
		return l, err
	}
	fault0 := metaFault(page0, 0)
	pageSize := 0
	if fault0 == "" {
		pageSize = int(parseMeta(page0[pageHeaderSize:]).pageSize)
	} else {
		// As bbolt's getPageSizeFromSecondMeta: look for meta page 1 at
		// each page size it may have been written with.
		for i := 0; i <= 14 && int64(1024<<i) < size; i++ {
			b, err := read(int64(1024<<i), pageHeaderSize+metaSize)
			if err != nil {
				return l, err
			}
			if metaFault(b, 1) == "" {
				pageSize = 1024 << i
				break
			}
		}
	}
	if pageSize == 0 {
		what := "both meta pages are damaged"
		if len(page0) < pageHeaderSize+metaSize || parseMeta(page0[pageHeaderSize:]).magic != boltMagic {
			what = "it is not a bbolt database, or " + what
		}
		l.faults = append(l.faults, fmt.Sprintf("%s (meta page 0: %s; no whole meta page 1 found either)", what, fault0))
		return l, nil
	}
	l.pageSize = pageSize
	page1, err := read(int64(pageSize), pageHeaderSize+metaSize)
	if err != nil {
		return l, err
	}
	fault1 := metaFault(page1, 1)
	var whole []meta
	for i, f := range []string{fault0, fault1} {
		if f != "" {
			l.faults = append(l.faults, fmt.Sprintf("meta page %d: %s", i, f))
			continue
		}
		m := parseMeta([][]byte{page0, page1}[i][pageHeaderSize:])
		if int(m.pageSize) != pageSize {
			l.faults = append(l.faults, fmt.Sprintf("meta page %d: its page size %d differs from the other's %d", i, m.pageSize, pageSize))
			continue
		}
		whole = append(whole, m)
	}
	if len(whole) == 0 {
		return l, nil
	}
	l.ok = true
	l.meta = whole[0]
	if len(whole) == 2 && whole[1].txid > whole[0].txid {
		l.meta = whole[1]
	}
	l.metaOnly = len(l.faults) > 0
	for _, m := range whole {
		if need := int64(m.pgid) * int64(pageSize); need > size {
			l.faults = append(l.faults, fmt.Sprintf("the file is %d bytes, but its meta page (transaction %d) says its %d pages of %d bytes run to %d bytes: the file was cut short",
				size, m.txid, m.pgid, pageSize, need))
			l.metaOnly = false
			return l, nil // the pages below are past the end
		}
	}
	m := l.meta
	for _, p := range []struct {
		what, kind string
		id         uint64
		flags      []uint16
	}{
		{"root page", "branch or leaf", m.root, []uint16{branchPageFlag, leafPageFlag}},
		{"freelist page", "freelist", m.freelist, []uint16{freelistPageFlag}},
	} {
		if p.id == pgidNoFreelist {
			continue
		}
		b, err := read(int64(p.id)*int64(pageSize), pageHeaderSize+8)
		if err != nil {
			return l, err
		}
		if f := pageFault(b, p.id, m.pgid, pageSize, p.kind, p.flags); f != "" {
			l.faults = append(l.faults, fmt.Sprintf("page %d (the %s of transaction %d): %s", p.id, p.what, m.txid, f))
			l.metaOnly = false
		}
	}
	return l, nil
}

// pageFault says what is wrong with the header of page id (b holds its
// first bytes), or "": that it says it is page id, has one of flags (a
// kind page's), ends
// below the high-water mark hwm, and (a freelist) holds as many ids as
// its pages have room for.
func pageFault(b []byte, id, hwm uint64, pageSize int, kind string, flags []uint16) string {
	if len(b) < pageHeaderSize+8 {
		return "it is past the end of the file"
	}
	p := parsePageHeader(b)
	if p.id != id {
		return fmt.Sprintf("its header says it is page %d: it was damaged or half written", p.id)
	}
	known := false
	for _, f := range flags {
		known = known || p.flags == f
	}
	if !known {
		return fmt.Sprintf("its flags are %#02x, not those of a %s page: it was damaged", p.flags, kind)
	}
	if id+uint64(p.overflow) >= hwm {
		return fmt.Sprintf("it claims %d overflow pages, past the last page in use (%d)", p.overflow, hwm-1)
	}
	if p.flags == freelistPageFlag {
		n := uint64(p.count)
		if p.count == 0xFFFF {
			n = binary.NativeEndian.Uint64(b[pageHeaderSize:]) + 1
		}
		if room := (uint64(p.overflow+1)*uint64(pageSize) - pageHeaderSize) / 8; n > room {
			return fmt.Sprintf("it lists %d free pages but has room for %d", n, room)
		}
	}
	return ""
}
