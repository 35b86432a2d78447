package export

import "github.com/sptflow/sptflow/pyjson"

// SimParts says which parts of a sample came from the sim provider, read
// from the "simulated": true markers its records carry.
type SimParts uint8

// The parts of a sample, by the stage that wrote them.
const (
	SimTask         SimParts = 1 << iota // stage 1: system prompts and task (the batch file's marker)
	SimResponse                          // stage 2: the response S (the variant's marker)
	SimIntervention                      // stage 3: intervention, review and flag (the record's marker)
)

// simParts is the stage-2 and stage-3 markers of one record; the stage-1
// marker is the file's and is added once the file has been read.
func simParts(v *rawVariant, r *rawRecord) SimParts {
	var p SimParts
	if v.simulated {
		p |= SimResponse
	}
	if r.simulated {
		p |= SimIntervention
	}
	return p
}

// simCounts counts the samples with any simulated part and, per part, the
// samples with that part simulated.
type simCounts struct {
	train, validation            int
	task, response, intervention int
}

// simulated counts the simulated samples of both splits.
func (r *Result) simulated() simCounts {
	c := simCounts{train: r.Train.simulated, validation: r.Validation.simulated}
	for _, sc := range []*splitCounts{&r.Train, &r.Validation} {
		c.task += sc.simParts[0]
		c.response += sc.simParts[1]
		c.intervention += sc.simParts[2]
	}
	return c
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// json is summary.json's "simulated": whether any exported sample holds
// simulated data, how many per split, and which parts.
func (c simCounts) json() *pyjson.Object {
	o := pyjson.NewObject(5)
	o.Set("any", c.train+c.validation > 0)
	o.Set("train", c.train)
	o.Set("validation", c.validation)
	parts := pyjson.NewObject(3)
	parts.Set("task", c.task)
	parts.Set("response", c.response)
	parts.Set("intervention", c.intervention)
	o.Set("by_part", parts)
	return o
}
