package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/rs/zerolog"

	"github.com/sptflow/sptflow/engine/pipeline"
	"github.com/sptflow/sptflow/engine/store"
	"github.com/sptflow/sptflow/engine/store/remote"
	"github.com/sptflow/sptflow/llm"
)

// remoteLeaseTTLEnv sets the TTL of partition leases in the remote store
// (a Go duration; remote.DefaultLeaseTTL when unset). A holder renews its
// lease every third of it; a dead holder's partitions are taken over
// after it (plus a sixth for clock skew).
const remoteLeaseTTLEnv = "SPTFLOW_REMOTE_LEASE_TTL"

// remoteOff, as $SPTFLOW_REMOTE, turns off the pipeline file's remote
// store on this machine.
const remoteOff = "none"

// remoteURL is the remote store a run of p uses: $SPTFLOW_REMOTE when set
// (it wins over the file, so a machine can point at another store, or at
// none, without editing a tracked file), else the pipeline's `remote:`.
// from names where the URL came from, for the log.
func remoteURL(p *pipeline.Pipeline) (url, from string, err error) {
	if v, ok := os.LookupEnv(remoteEnv); ok && v != "" {
		if v == remoteOff {
			return "", "", nil
		}
		if _, err := remote.ParseURL(v); err != nil {
			return "", "", fmt.Errorf("%w: $%s: %w", errUsage, remoteEnv, err)
		}
		return v, "$" + remoteEnv, nil
	}
	if p.Remote == "" {
		return "", "", nil
	}
	return p.Remote, p.RemotePos, nil
}

// remoteLeaseTTL is $SPTFLOW_REMOTE_LEASE_TTL, or 0 for the default.
func remoteLeaseTTL() (time.Duration, error) {
	v := os.Getenv(remoteLeaseTTLEnv)
	if v == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%w: $%s=%q: want a positive duration such as 90s", errUsage, remoteLeaseTTLEnv, v)
	}
	return d, nil
}

// sharing is the remote store a project's run shares, if any.
type sharing struct {
	rs   *remote.Store
	tier *remote.Tier
}

// openSharing opens the remote store of p (nil without one) behind the
// local store st. Damaged remote entries and unreachable remote reads are
// warnings: they are misses.
func openSharing(p *pipeline.Pipeline, st *store.Store, log zerolog.Logger) (*sharing, error) {
	url, from, err := remoteURL(p)
	if err != nil || url == "" {
		return nil, err
	}
	ttl, err := remoteLeaseTTL()
	if err != nil {
		return nil, err
	}
	rs, err := remote.Open(context.Background(), url, remote.Options{OnDamage: func(ctx context.Context, key string, err error) {
		l := zerolog.Ctx(ctx) // the partition's logger, when the engine asked (engine/shared.go)
		if l.GetLevel() == zerolog.Disabled {
			l = &log
		}
		l.Warn().Err(err).Msg("refused a damaged remote store entry")
	}})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", from, err)
	}
	log.Info().Str("remote", rs.URL()).Str("from", from).Msg("sharing the remote store")
	return &sharing{rs: rs, tier: remote.NewTier(st, rs, remote.TierOptions{Lease: remote.LeaseConfig{TTL: ttl}})}, nil
}

// records is the request store the LLM runtime uses: the local record
// log, read through and pushed to the remote store when there is one.
func (sh *sharing) records(local *store.RecordLog, log zerolog.Logger) llm.RecordStore {
	if sh == nil {
		return local
	}
	return remote.NewRecords(local, sh.rs, requestsNamespace, func(err error) {
		log.Warn().Err(err).Msg("remote store: request record")
	})
}

func (sh *sharing) close() {
	if sh != nil {
		_ = sh.rs.Close()
	}
}
