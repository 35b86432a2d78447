package main

import (
	"context"
	"fmt"

	"github.com/sptflow/sptflow/steps/spt/sptsim/sptfake"
)

// cmdFake serves SPT-aware fake Anthropic, OpenAI and OpenRouter APIs on
// loopback until interrupted (steps/spt/sptsim/sptfake).
func cmdFake(ctx context.Context, e *env, args []string) error {
	fs := e.bareFlagSet("fake")
	cfg := sptfake.Config{SPT: true}
	cfg.Flags(fs)
	urlFile := fs.String("url-file", "", "once listening, write the root URL (http://host:port) to `FILE`")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return fmt.Errorf("%w: sptflow fake takes no arguments, got %q", errUsage, pos)
	}
	if err := cfg.Check(); err != nil {
		return fmt.Errorf("%w: %w", errUsage, err)
	}
	return sptfake.Run(ctx, cfg, *urlFile, e.stdout)
}
