package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/sptflow/sptflow/engine"
)

func cmdStatus(ctx context.Context, e *env, args []string) error {
	fs := e.flagSet("status")
	why := fs.Bool("why", false, "say exactly which component changed for stale partitions")
	asJSON := fs.Bool("json", false, "print every partition's state, reasons, changes, key, output and estimate as one JSON document")
	var shards int
	intFlag(fs, &shards, "shards", 0, 0, "name the shard of `N` (run --shard i/N) that owns each partition that would run")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	path, err := onePipeline("status", pos)
	if err != nil {
		return err
	}
	log, err := e.logger(nil)
	if err != nil {
		return err
	}
	// Only warnings (a damaged lock file being rebuilt, say) and errors.
	pr, err := e.open(path, engine.RunOptions{}, log.Level(max(log.GetLevel(), zerolog.WarnLevel)))
	if err != nil {
		return err
	}
	defer pr.close()
	sts, err := pr.eng.Status(ctx)
	if err != nil {
		return err
	}
	re := estimateRun(ctx, pr.eng, sts, nil)
	if *asJSON {
		return writeStatusJSON(e.stdout, pr, sts, re)
	}
	owner := shardOwner(pr.eng, shards)
	counts := map[engine.State]int{}
	var run []engine.PartitionID
	onDisk, unwritten, withFailures, inRemote := 0, 0, 0, 0
	for _, st := range sts {
		counts[st.State]++
		switch {
		case st.Remote:
			inRemote++
		case st.Unwritten:
			counts[st.State]--
			unwritten++
		case len(st.Disk) > 0:
			counts[st.State]--
			onDisk++
		}
		suffix := ""
		if st.FailedRows > 0 {
			suffix = ", " + engine.FailedRowsText(st.FailedRows)
			withFailures++
			run = append(run, st.ID)
			if !*why {
				suffix += re.suffix(st.Estimate)
			}
		}
		if st.State != engine.UpToDate {
			run = append(run, st.ID)
			if !*why {
				suffix = re.suffix(st.Estimate)
			}
		}
		if st.WillRun() {
			suffix += owner(st.ID)
		}
		fmt.Fprintf(e.stdout, "%-12s %s%s\n", stateLabel(st), st.ID, suffix)
		printDisk(e.stdout, st)
		if !*why {
			for _, p := range st.Problems { // what keeps it from running, --why or not
				fmt.Fprintf(e.stdout, "    %s\n", p)
			}
			continue
		}
		if r, ok := pr.eng.Replica(st.ID); ok {
			fmt.Fprintf(e.stdout, "    replica %d, from %s\n", r.N, r.Source)
		}
		if st.State == engine.UpToDate {
			continue
		}
		for _, r := range st.Reasons {
			fmt.Fprintf(e.stdout, "    %s\n", r)
		}
		switch x := st.Estimate; {
		case x == nil:
			fmt.Fprintf(e.stdout, "    not priced: %v\n", st.EstimateErr)
		case x.Requests.High+x.Cached > 0:
			fmt.Fprintf(e.stdout, "    would send %s\n", re.short(x))
		}
	}
	fmt.Fprintf(e.stdout, "%d up-to-date, %d stale, %d missing", counts[engine.UpToDate], counts[engine.Stale], counts[engine.Missing])
	if inRemote > 0 {
		fmt.Fprintf(e.stdout, ", %d of them only in the remote store (run pulls them)", inRemote)
	}
	if unwritten > 0 {
		fmt.Fprintf(e.stdout, ", %d sealed but not yet written to the data directory (run writes them)", unwritten)
	}
	if onDisk > 0 {
		fmt.Fprintf(e.stdout, ", %d with files changed on disk (run restores them)", onDisk)
	}
	if withFailures > 0 {
		fmt.Fprintf(e.stdout, ", %d sealed with failed rows (run asks them again)", withFailures)
	}
	fmt.Fprintln(e.stdout)
	if tmp := pr.eng.Leftovers(); tmp.Files > 0 {
		fmt.Fprintf(e.stdout, "%d temporary files (%d bytes) left by interrupted runs; the next run removes them\n", tmp.Files, tmp.Bytes)
	}
	batches, err := readBatchDocs(pr.st.Dir(), time.Now())
	if err != nil {
		return err
	}
	printBatchesInFlight(e.stdout, batches)
	re.print(e.stdout, envNeeds(pr.eng, run))
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
	warn = append(warn, inputWarnings(pr.eng)...)
	fmt.Fprintf(e.stdout, "%s: ok: pipeline %q, %d nodes, %d partitions\n", path, pr.p.Name, len(pr.p.Nodes), len(g.Partitions))
	for _, w := range warn {
		fmt.Fprintf(e.stdout, "warning: %s\n", w)
	}
	return nil
}
