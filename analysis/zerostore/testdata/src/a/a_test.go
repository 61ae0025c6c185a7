package a

// A test stores nil on purpose, to see what Load returns.
func (s *service) nilInTest(id string) {
	s.raw.Store(id, nil)
}
