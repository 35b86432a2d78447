package main

import (
	"testing"
)

func TestParse(t *testing.T) {
	for _, args := range [][]string{
		{"-provider", "anthropic"},                        // one listener serves every provider now
		{"-addr", "0.0.0.0:8089"},                         // loopback only
		{"-error-rate", "1.5"},                            // not a probability
		{"-rpm", "-1"},                                    // not a budget
		{"-rate-limit-rate", "0.6", "-error-rate", "0.6"}, // more than every request
	} {
		if _, err := parse(args); err == nil {
			t.Errorf("parse(%q) accepted", args)
		}
	}
	o, err := parse([]string{"-rpm", "600", "-error-rate", "0.5", "-seed", "7", "-spt"})
	if err != nil {
		t.Fatal(err)
	}
	if o.cfg.RPM != 600 || o.cfg.Faults.ServerError != 0.5 || o.cfg.Seed != 7 || !o.cfg.SPT {
		t.Errorf("parsed %+v, want rpm 600, error rate 0.5, seed 7, spt", o.cfg)
	}
}
