package engine

import (
	"context"
	"fmt"
)

// Kind is one node kind written against its own parameter type P, adapted
// to the scheduler's Step by Adapt. It is the contract every node kind
// implements:
//
//   - Info describes the kind: name, version, a summary and every `with:`
//     parameter (Param), from which both the strict decoder (engine/with)
//     and the reference (`sptflow kinds`, docs/kinds.md) are built.
//   - Resolve checks one partition before anything runs and returns its
//     parameters and plan. Every configuration problem surfaces here: the
//     `with:` block (decode it with engine/with, which reports every problem
//     at once with its position and a "did you mean"), the models it names,
//     and every file the kind reads for configuration (prompt templates, a
//     training config), which Resolve parses and checks, so that `validate`
//     catches what `run` would trip over. Resolve must not read upstream data
//     or call models. Its errors start with the position
//     (spec.WithErrorf, spec.NodePos) and never name the partition: the
//     engine adds that when it matters, and reports an error shared by every
//     partition of a node once.
//   - Run produces the partition's outputs from the P Resolve returned. Its
//     errors are `verb object: %w` without the kind or partition (the engine
//     names the partition once).
//
// P is hashed into the node key (through JSON; unexported fields are not
// part of it), so it must hold exactly what changes the outputs, with
// defaults applied.
//
// The version rule: bump KindInfo.Version whenever the same P, inputs and
// upstream outputs would produce different output bytes (a new field
// written, a fixed computation, a changed default that is not in P).
// Changing P's JSON (a new field without omitempty, a renamed one) also
// re-runs every partition of the kind; add fields with omitempty and
// zero-value defaults so existing node keys stay valid, and check with
// SPTFLOW_DEBUG=nodekey and cmd/sptflow's TestParamsStable.
type Kind[P any] interface {
	Info() KindInfo
	Resolve(spec *PartitionSpec) (P, *Plan, error)
	Run(ctx context.Context, p P, t *Task) error
}

// KindEstimator is implemented by kinds that call models: Estimate prices a
// partition before it runs (see Estimator).
type KindEstimator[P any] interface {
	Estimate(ctx context.Context, p P, t *Task, ups []*Forecast) (Estimate, error)
}

// KindInfo describes a node kind for its decoder and its reference.
type KindInfo struct {
	Name    string
	Version string // part of every node key of the kind; see Kind
	Summary string // one sentence
	// Foreach names the foreach key the kind needs ("topic"), or "".
	Foreach string
	// Outputs says what the kind writes, for the reference.
	Outputs string
	// Reads says what the kind reads from its upstream outputs ("stage-2
	// answers"), "" for a kind that reads none (its inputs are files): a
	// partition of a kind that reads upstream outputs and has no upstream
	// (needs: [], easily left by an experiment, whose lists replace its
	// base's) is a configuration error, not a run that seals nothing.
	Reads  string
	Params []Param
	// Samples marks kinds whose outputs are samples drawn from models: the
	// adapted Step is a Sampler (with.replica, run --resample).
	Samples bool
}

// Param describes one `with:` parameter of a kind. The strict decoder
// (engine/with) accepts exactly the declared parameters, takes defaults
// and bounds from here, and the reference is generated from it.
type Param struct {
	Name string
	Type ParamType
	// Default is the value when the key is absent (nil for none, or when
	// DefaultDoc describes a computed default). Its Go type matches Type:
	// string, int, bool or []string.
	Default any
	// DefaultDoc documents a default that is not a constant ("model",
	// "every type with a prompt file"); it overrides Default in the
	// reference.
	DefaultDoc string
	Required   bool
	// Min is the least value of an Int, or the least length of a list.
	Min int
	// Enum, when set, lists the accepted values of a String (or of each
	// element of a Strings).
	Enum []string
	Doc  string
}

// ParamType is the type of a `with:` parameter as the reference names it.
type ParamType string

// Parameter types. Other values name kind-specific types that the kind
// decodes itself from the raw value (With.Value).
const (
	TypeString  ParamType = "string"
	TypePath    ParamType = "path"       // a string: a file or directory relative to the project root
	TypeInt     ParamType = "int"        // a whole number >= Min
	TypeBool    ParamType = "bool"       // true or false
	TypeStrings ParamType = "[]string"   // a list of strings, or one string for a list of one
	TypeModel   ParamType = "model"      // a name of the pipeline's models block
	TypeModels  ParamType = "[]model"    // a list of such names
	TypeHoldout ParamType = "bool | int" // export's validation_holdout
)

// Adapt returns the Step that runs k: the scheduler sees an ordinary Step
// (an Estimator when k is a KindEstimator, a Sampler when k's info says
// Samples), and k receives its own typed parameters. The adapter is the only
// place where Task.Params is asserted to P.
func Adapt[P any](k Kind[P]) Step {
	a := &adapter[P]{k: k, info: k.Info()}
	est, isEst := k.(KindEstimator[P])
	switch {
	case isEst && a.info.Samples:
		return &samplingEstimator[P]{estimator[P]{a, est}}
	case isEst:
		return &estimator[P]{a, est}
	case a.info.Samples:
		return &sampler[P]{a}
	}
	return a
}

// Info returns the description of the kind behind step, when step was
// built by Adapt.
func Info(step Step) (KindInfo, bool) {
	d, ok := step.(interface{ Info() KindInfo })
	if !ok {
		return KindInfo{}, false
	}
	return d.Info(), true
}

type adapter[P any] struct {
	k    Kind[P]
	info KindInfo
}

func (a *adapter[P]) Info() KindInfo  { return a.info }
func (a *adapter[P]) Kind() string    { return a.info.Name }
func (a *adapter[P]) Version() string { return a.info.Version }

func (a *adapter[P]) Resolve(spec *PartitionSpec) (*Plan, error) {
	p, plan, err := a.k.Resolve(spec)
	if err != nil {
		return nil, err
	}
	plan.Params = p
	return plan, nil
}

func (a *adapter[P]) Run(ctx context.Context, t *Task) error {
	p, err := a.params(t)
	if err != nil {
		return err
	}
	return a.k.Run(ctx, p, t)
}

func (a *adapter[P]) params(t *Task) (P, error) {
	p, ok := t.Params.(P)
	if !ok {
		var zero P
		return zero, fmt.Errorf("kind %s: parameters of type %T, want %T (a Task not built from this kind's plan)", a.info.Name, t.Params, zero)
	}
	return p, nil
}

type estimator[P any] struct {
	*adapter[P]
	est KindEstimator[P]
}

func (e *estimator[P]) Estimate(ctx context.Context, t *Task, ups []*Forecast) (Estimate, error) {
	p, err := e.params(t)
	if err != nil {
		return Estimate{}, err
	}
	return e.est.Estimate(ctx, p, t, ups)
}

type sampler[P any] struct{ *adapter[P] }

func (*sampler[P]) SamplesModels() {}

type samplingEstimator[P any] struct{ estimator[P] }

func (*samplingEstimator[P]) SamplesModels() {}

var (
	_ Step      = (*adapter[int])(nil)
	_ Estimator = (*estimator[int])(nil)
	_ Sampler   = (*sampler[int])(nil)
	_ Sampler   = (*samplingEstimator[int])(nil)
	_ Estimator = (*samplingEstimator[int])(nil)
)
