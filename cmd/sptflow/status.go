package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/rs/zerolog"

	"github.com/sptflow/sptflow/engine"
)

func cmdStatus(ctx context.Context, e *env, args []string) error {
	fs := e.flagSet("status")
	why := fs.Bool("why", false, "say exactly which component changed for stale partitions")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	path, err := onePipeline("status", pos)
	if err != nil {
		return err
	}
	if _, err := e.logger(nil); err != nil {
		return err
	}
	pr, err := e.open(path, engine.RunOptions{}, zerolog.Nop())
	if err != nil {
		return err
	}
	defer pr.close()
	sts, err := pr.eng.Status(ctx)
	if err != nil {
		return err
	}
	if *why {
		pr.eng.Estimate(ctx, sts)
	}
	counts := map[engine.State]int{}
	onDisk := 0
	var total engine.Estimate
	for _, st := range sts {
		counts[st.State]++
		if len(st.Disk) > 0 {
			counts[st.State]--
			onDisk++
		}
		if x := st.Estimate; x != nil && st.State != engine.UpToDate {
			total.Requests, total.Cached, total.CostUSD = total.Requests+x.Requests, total.Cached+x.Cached, total.CostUSD+x.CostUSD
		}
		fmt.Fprintf(e.stdout, "%-12s %s\n", stateLabel(st), st.ID)
		printDisk(e.stdout, st)
		if *why && st.State != engine.UpToDate {
			for _, r := range st.Reasons {
				fmt.Fprintf(e.stdout, "    %s\n", r)
			}
			if x := st.Estimate; x != nil {
				fmt.Fprintf(e.stdout, "    would send %d requests (%d from cache), ~$%.2f\n", x.Requests, x.Cached, x.CostUSD)
			}
		}
	}
	fmt.Fprintf(e.stdout, "%d up-to-date, %d stale, %d missing", counts[engine.UpToDate], counts[engine.Stale], counts[engine.Missing])
	if onDisk > 0 {
		fmt.Fprintf(e.stdout, ", %d with files changed on disk (run restores them)", onDisk)
	}
	fmt.Fprintln(e.stdout)
	if total.Requests+total.Cached > 0 {
		fmt.Fprintf(e.stdout, "bringing it up to date would send %d LLM requests (%d more from cache), ~$%.2f\n", total.Requests, total.Cached, total.CostUSD)
	}
	return nil
}

func cmdValidate(ctx context.Context, e *env, args []string) error {
	pos, err := parse(e.flagSet("validate"), args)
	if err != nil {
		return err
	}
	path, err := onePipeline("validate", pos)
	if err != nil {
		return err
	}
	pr, err := e.open(path, engine.RunOptions{}, zerolog.Nop())
	if err != nil {
		return err
	}
	defer pr.close()
	if err := pr.eng.CheckOwnership(); err != nil {
		return err
	}
	g := pr.eng.Graph()
	var all []engine.PartitionID
	for _, p := range g.Partitions {
		all = append(all, p.ID)
	}
	var warn []string
	if err := missingEnv(pr.eng, all); err != nil {
		warn = append(warn, strings.TrimPrefix(err.Error(), errUsage.Error()+": "))
	}
	fmt.Fprintf(e.stdout, "%s: ok: pipeline %q, %d nodes, %d partitions\n", path, pr.p.Name, len(pr.p.Nodes), len(g.Partitions))
	for _, w := range warn {
		fmt.Fprintf(e.stdout, "warning: %s\n", w)
	}
	return nil
}
