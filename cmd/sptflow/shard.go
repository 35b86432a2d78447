package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/sptflow/sptflow/engine"
	"github.com/sptflow/sptflow/llm"
)

// takeoverEnv overrides how long a shard waits for another shard's
// partition before it may take it over (a Go duration; tests set it short).
const takeoverEnv = "SPTFLOW_SHARD_TAKEOVER"

// shardFlags are run's --shard and --rate-share.
type shardFlags struct {
	shard     string
	rateShare optFloat
}

// optFloat is a float flag that knows whether it was given: an explicit
// --rate-share 0 is refused, not read as "not given".
type optFloat struct {
	v   float64
	set bool
}

func (f *optFloat) String() string {
	if f == nil || !f.set {
		return ""
	}
	return strconv.FormatFloat(f.v, 'g', -1, 64)
}

func (f *optFloat) Set(s string) error {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return errors.New("parse error")
	}
	f.v, f.set = v, true
	return nil
}

func (f *shardFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.shard, "shard", "", "run shard `i/N` (1-based) of the partitions; other shards' partitions are waited for, and taken over when their owner holds no lease ($"+takeoverEnv+", default "+engine.DefaultTakeover.String()+")")
	fs.Var(&f.rateShare, "rate-share", "pace at fraction `F` of every model's rpm/tpm budgets (default 1/N under --shard N)")
}

// config returns the shard the flags select (zero without --shard) and the
// share of the rate budgets this process paces at.
func (f *shardFlags) config() (engine.Shard, float64, error) {
	var sh engine.Shard
	share := 1.0
	if f.shard != "" {
		var err error
		if sh, err = engine.ParseShard(f.shard); err != nil {
			return sh, 0, fmt.Errorf("%w: --shard: %w", errUsage, err)
		}
		if sh.Takeover, err = takeoverDelay(); err != nil {
			return sh, 0, err
		}
		share = 1 / float64(sh.Count)
	}
	if r := f.rateShare; r.set {
		if !(r.v > 0 && r.v <= 1) {
			return sh, 0, fmt.Errorf("%w: --rate-share %g: want a fraction in (0, 1]", errUsage, r.v)
		}
		share = r.v
	}
	return sh, share, nil
}

// takeoverDelay is $SPTFLOW_SHARD_TAKEOVER, or engine.DefaultTakeover.
func takeoverDelay() (time.Duration, error) {
	v := os.Getenv(takeoverEnv)
	if v == "" {
		return engine.DefaultTakeover, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%w: $%s=%q: want a duration such as 30s", errUsage, takeoverEnv, v)
	}
	return d, nil
}

// ownPartitions keeps the partitions of ids that shard sh executes (all
// of them, unsharded): the run's estimate prices those, not the ones it
// waits for.
func ownPartitions(eng *engine.Engine, sh engine.Shard, ids []engine.PartitionID) []engine.PartitionID {
	if sh.Count <= 1 {
		return ids
	}
	owners := eng.Owners(sh.Count)
	var own []engine.PartitionID
	for _, id := range ids {
		if owners[id] == sh.Index {
			own = append(own, id)
		}
	}
	return own
}

// ownSet is ownPartitions as a set.
func ownSet(eng *engine.Engine, sh engine.Shard, ids []engine.PartitionID) map[engine.PartitionID]bool {
	own := map[engine.PartitionID]bool{}
	for _, id := range ownPartitions(eng, sh, ids) {
		own[id] = true
	}
	return own
}

// waitCount is the dry run's ", wait for N of other shards" ("" for none).
func waitCount(n int) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf(", wait for %d of other shards", n)
}

// logShare says, in the run's log, which shard this is, how many of the
// run's partitions it executes, and each model's effective rate budget.
func logShare(log zerolog.Logger, pr *project, sh engine.Shard, share float64, ids []engine.PartitionID) {
	if sh.Count > 1 {
		own := len(ownPartitions(pr.eng, sh, ids))
		log.Info().Str("shard", sh.String()).Int("own", own).Int("waited_for", len(ids)-own).
			Msgf("shard %s: executes %d partitions, waits for %d of other shards", sh, own, len(ids)-own)
	}
	if share <= 0 || share >= 1 {
		return
	}
	names := make([]string, 0, len(pr.p.Models))
	for name := range pr.p.Models {
		names = append(names, name)
	}
	slices.Sort(names)
	var parts []string
	for _, name := range names {
		spec, err := llm.ParseModelSpec(name, pr.p.Models[name].Raw)
		if err != nil {
			continue
		}
		parts = append(parts, name+" "+llm.EffectiveBudget(spec, share).String())
	}
	log.Info().Float64("rate_share", share).Msgf("rate budgets at share %.4g: %s (and of the limits providers announce)", share, strings.Join(parts, "; "))
}

// shardOwner returns, for status --shards N, the " (shard k/N)" naming the
// shard that runs a partition ("" without --shards).
func shardOwner(eng *engine.Engine, n int) func(engine.PartitionID) string {
	if n < 1 {
		return func(engine.PartitionID) string { return "" }
	}
	owners := eng.Owners(n)
	return func(id engine.PartitionID) string { return fmt.Sprintf(" (shard %d/%d)", owners[id], n) }
}
