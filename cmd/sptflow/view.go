package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/rs/zerolog"

	"github.com/sptflow/sptflow/engine"
	"github.com/sptflow/sptflow/engine/pipeline"
	"github.com/sptflow/sptflow/view"
)

// cmdView serves the web app over the materialized data and the store of
// one pipeline (or two, to compare them; or the outputs two lock files pin,
// read from the store), or over a data directory in the original layout
// (--data DIR); --export writes a selection as a self-contained page
// instead.
func cmdView(ctx context.Context, e *env, args []string) error {
	fs := e.flagSet("view")
	addr := fs.String("addr", "127.0.0.1:8080", "listen on `HOST:PORT` (a loopback address keeps the view on this machine)")
	open := fs.Bool("open", false, "open the page in the browser (xdg-open)")
	export := fs.String("export", "", "write the --select rows and their lineage as a self-contained page to `DIR` and exit")
	sel := fs.String("select", "", "the rows to export, as the page's query (`QUERY`: verdict=FAIL&topic=sycophancy&q=word)")
	names := fs.String("pipeline", "", "compare the lock files' entries of pipeline `NAME` (or A_NAME,B_NAME)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 2 {
		return fmt.Errorf("%w: sptflow view [PIPELINE [PIPELINE]] | A.lock B.lock: want at most two pipelines or two lock files, got %d", errUsage, len(pos))
	}
	locks := 0
	for _, p := range pos {
		if isLockArg(p) {
			locks++
		}
	}
	switch {
	case locks == 1 && len(pos) == 1:
		return fmt.Errorf("%w: sptflow view %s: a lock file is viewed beside another (sptflow view A.lock B.lock); name a pipeline to browse one", errUsage, pos[0])
	case locks == 1:
		return fmt.Errorf("%w: sptflow view: %s and %s: compare two pipelines or two lock files, not one of each", errUsage, pos[0], pos[1])
	case locks == 0 && *names != "":
		return fmt.Errorf("%w: sptflow view: --pipeline picks pipelines of lock files; name two lock files", errUsage)
	case *sel != "" && *export == "":
		return fmt.Errorf("%w: sptflow view: --select picks the rows --export DIR writes; to browse a selection, open the page and filter there", errUsage)
	}
	log, err := e.logger(nil)
	if err != nil {
		return err
	}
	// The address first: a port in use is said at once, not after the
	// index is built.
	var ln net.Listener
	if *export == "" {
		if ln, err = viewListen(*addr); err != nil {
			return err
		}
		defer ln.Close()
	}
	var srcs []view.Source
	if locks == 2 {
		if srcs, err = viewLockSources(e, pos[0], pos[1], *names); err != nil {
			return err
		}
		pos = nil
	}
	for _, p := range pos {
		pl, err := e.loadPipeline(p, engine.RunOptions{})
		if err != nil {
			return err
		}
		srcs = append(srcs, view.Source{Name: pl.Name, Dir: pl.DataDir, Store: storeDir(pl.ProjectRoot), Pipeline: pl.Name})
	}
	if len(srcs) == 0 {
		if e.data == "" {
			return fmt.Errorf("%w: sptflow view: name a pipeline, or a data directory with --data DIR", errUsage)
		}
		dir, err := filepath.Abs(e.data)
		if err != nil {
			return err
		}
		if _, err := os.Stat(dir); err != nil {
			return fmt.Errorf("%w: sptflow view --data %s: %v", errUsage, e.data, err)
		}
		src := view.Source{Name: filepath.Base(dir), Dir: dir}
		wd, _ := os.Getwd()
		if st := storeDir(pipeline.FindProjectRoot(wd)); isDir(st) {
			src.Store = st
		}
		srcs = append(srcs, src)
	}
	idxDir, err := viewIndexDir(srcs[0])
	if err != nil {
		return err
	}
	start := time.Now()
	s, err := view.NewServer(ctx, idxDir, srcs...)
	if err != nil {
		return err
	}
	defer s.Close()
	ix := s.Index()
	log.Info().Str("index", ix.Path).Int64("duration_ms", time.Since(start).Milliseconds()).Bool("built", ix.Built > 0).Msg("index ready")
	for _, side := range []*view.Side{s.A, s.B} {
		if side == nil {
			continue
		}
		for _, why := range side.Index().Skipped {
			log.Warn().Str("dir", side.Src.Dir).Msg("left out of the view (the page lists it too): " + why)
		}
		if ix := side.Index(); ix.Counts[1]+ix.Counts[2]+ix.Counts[3] == 0 {
			log.Warn().Str("dir", side.Src.Dir).Msg("no rows to show: the directory holds no batch files in the original layout " +
				"(stage_1/, stage_2/, stage_3/ or stage_3_tagged/ with <topic>/batch_*.json, or <topic>/batch_*.json itself); " +
				"a pipeline's rows appear once a run writes them")
		}
	}
	if *export != "" {
		return viewExport(ctx, e, ix, srcs[0].Name, *sel, *export)
	}
	return viewServe(ctx, e, s, ln, *open, log)
}

// viewListen listens on addr; an address in use gets a hint.
func viewListen(addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if errors.Is(err, syscall.EADDRINUSE) {
		return nil, fmt.Errorf("address %s is in use; pick another with --addr (127.0.0.1:0 for any free port)", addr)
	}
	if err != nil {
		return nil, fmt.Errorf("view --addr %s: %w", addr, err)
	}
	return ln, nil
}

// viewExport writes the rows the query sel selects, with their lineage,
// to dir/index.html.
func viewExport(ctx context.Context, e *env, ix *view.Index, name, sel, dir string) error {
	v, err := url.ParseQuery(sel)
	if err != nil {
		return fmt.Errorf("%w: --select %q: %v", errUsage, sel, err)
	}
	q := view.ParseQuery(v)
	n, err := ix.Export(ctx, name, q, dir)
	if err != nil {
		return err
	}
	out := filepath.Join(dir, "index.html")
	if all, err := ix.Rows(ctx, q); err == nil && all.Total > n {
		fmt.Fprintf(e.stdout, "wrote %s (the first %d of %d selected rows: an export holds at most %d; narrow --select for the others)\n", out, n, all.Total, n)
		return nil
	}
	fmt.Fprintf(e.stdout, "wrote %s (%d rows)\n", out, n)
	return nil
}

// viewServe serves the app on ln until ctx ends, watching the data.
func viewServe(ctx context.Context, e *env, s *view.Server, ln net.Listener, open bool, log zerolog.Logger) error {
	u := "http://" + ln.Addr().String() + "/"
	fmt.Fprintf(e.stderr, "sptflow view: serving %s (Ctrl-C stops)\n", u)
	if open {
		if x, err := exec.LookPath("xdg-open"); err == nil {
			_ = exec.Command(x, u).Start()
		}
	}
	go s.Watch(ctx, time.Second, func(err error) {
		log.Error().Err(err).Msg("the data changed but cannot be indexed: the page shows the data as last indexed until it can")
	})
	srv := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// viewIndexDir is where the row indexes live: in the store (view/), or in
// the user's cache directory for data outside a project.
func viewIndexDir(src view.Source) (string, error) {
	if src.Store != "" {
		return filepath.Join(src.Store, "view"), nil
	}
	c, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("sptflow view: no store and no cache directory for the index: %w", err)
	}
	return filepath.Join(c, "sptflow", "view"), nil
}

func isDir(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}
