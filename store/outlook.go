package store

// Outlook is what the views of the coming weeks are made of (digests,
// agendas, the calendar feed): the dependency graph, the open change
// requests and the freezes, read in one transaction.
type Outlook struct {
	Graph   *Graph
	OpenCRs []ChangeRequest
	Freezes []Freeze
}

// Outlook reads the graph, the open change requests and the freezes.
func (tx *Tx) Outlook() (Outlook, error) {
	g, err := tx.Graph()
	if err != nil {
		return Outlook{}, err
	}
	crs, err := tx.OpenChangeRequests()
	if err != nil {
		return Outlook{}, err
	}
	freezes, err := tx.Freezes()
	if err != nil {
		return Outlook{}, err
	}
	return Outlook{Graph: g, OpenCRs: crs, Freezes: freezes}, nil
}
