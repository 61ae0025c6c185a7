package chanown

import "syscall"

// memoryAndSwap returns the machine's memory and swap in bytes: with Linux's
// default overcommit policy, the most one allocation may ask for.
func memoryAndSwap() (uint64, bool) {
	var si syscall.Sysinfo_t
	if syscall.Sysinfo(&si) != nil {
		return 0, false
	}
	return (uint64(si.Totalram) + uint64(si.Totalswap)) * uint64(si.Unit), true
}
