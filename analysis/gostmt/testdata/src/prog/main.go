// Package main is a program: its goroutines end when the process does.
// client_golang's examples feed metrics from such a loop in main, pebble's
// benchmark command and its pacer simulator in functions main calls.
package main

import "time"

var observed int

func main() {
	go func() {
		for {
			observed++
			time.Sleep(600 * time.Millisecond)
		}
	}()
	simulate()
}

func simulate() {
	go drain()
}

func drain() {
	for {
		time.Sleep(time.Millisecond)
	}
}
