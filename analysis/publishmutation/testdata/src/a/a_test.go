package a

// A test of a detector mutates a published value on purpose.
func (s *service) mutateInTest(id string) {
	v, _ := s.raw.LoadOrStore(id, &Order{ID: id})
	v.(*Order).Status = "changed"
}
