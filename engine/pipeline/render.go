package pipeline

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/sptflow/sptflow/engine"
)

// RenderDOT writes the partition graph in Graphviz DOT: one cluster per
// node (labelled "name (kind)"), one box per partition labelled with its
// foreach values, and an edge from each needed partition to the partition
// that needs it. The output depends only on the pipeline.
func RenderDOT(p *Pipeline, w io.Writer) error {
	b := bufio.NewWriter(w)
	fmt.Fprintf(b, "digraph %s {\n", dotQuote(p.Name))
	b.WriteString("\trankdir=LR;\n\tnode [shape=box];\n")
	for i, n := range p.Nodes {
		fmt.Fprintf(b, "\tsubgraph %s {\n", dotQuote(fmt.Sprintf("cluster_%d", i)))
		fmt.Fprintf(b, "\t\tlabel=%s;\n", dotQuote(n.Name+" ("+n.Kind+")"))
		for _, id := range n.Partitions {
			fmt.Fprintf(b, "\t\t%s [label=%s];\n", dotQuote(string(id)), dotQuote(partLabel(n, id)))
		}
		b.WriteString("\t}\n")
	}
	eachEdge(p, func(from, to engine.PartitionID) {
		fmt.Fprintf(b, "\t%s -> %s;\n", dotQuote(string(from)), dotQuote(string(to)))
	})
	b.WriteString("}\n")
	return b.Flush()
}

// RenderMermaid writes the partition graph as a Mermaid flowchart: one
// subgraph per node, one box per partition, an arrow from each needed
// partition to the partition that needs it. The output depends only on the
// pipeline.
func RenderMermaid(p *Pipeline, w io.Writer) error {
	b := bufio.NewWriter(w)
	b.WriteString("flowchart LR\n")
	ids := map[engine.PartitionID]string{}
	for i, n := range p.Nodes {
		fmt.Fprintf(b, "\tsubgraph n%d [%s]\n", i, mermaidQuote(n.Name+" ("+n.Kind+")"))
		for _, id := range n.Partitions {
			ids[id] = fmt.Sprintf("p%d", len(ids))
			fmt.Fprintf(b, "\t\t%s[%s]\n", ids[id], mermaidQuote(partLabel(n, id)))
		}
		b.WriteString("\tend\n")
	}
	eachEdge(p, func(from, to engine.PartitionID) {
		fmt.Fprintf(b, "\t%s --> %s\n", ids[from], ids[to])
	})
	return b.Flush()
}

// eachEdge calls f for every (needed, needing) pair in partition order.
func eachEdge(p *Pipeline, f func(from, to engine.PartitionID)) {
	if p.Graph == nil {
		return
	}
	for _, s := range p.Graph.Partitions {
		for _, up := range p.Graph.Needs[s.ID] {
			f(up, s.ID)
		}
	}
}

// partLabel is a partition's label inside its node's cluster: the part of
// its id after "@", or the node name.
func partLabel(n *Node, id engine.PartitionID) string {
	if _, after, ok := strings.Cut(string(id), "@"); ok {
		return after
	}
	return n.Name
}

func dotQuote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s) + `"`
}

func mermaidQuote(s string) string {
	return `"` + strings.NewReplacer(`"`, "#quot;", "\n", " ").Replace(s) + `"`
}
