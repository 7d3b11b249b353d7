package cli

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/shoal-db/shoal/cmd/shoal/internal/client"
	"github.com/spf13/cobra"
)

func statusCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "status", Short: "Print the node's id, peers and storage figures", Args: cobra.NoArgs}
	out := addOutput(cmd)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		return withClient(cmd, func(c *client.Client) error {
			st, err := c.Status(cmd.Context())
			return show(cmd, out, err, st, func() {
				w := cmd.OutOrStdout()
				fmt.Fprintf(w, "node %s\nlast dot %d\nversion vector %s\nvector ranges %d\n", st.NodeID, st.LastDot, st.VersionVector, st.VectorRanges)
				rules := "no rules"
				if len(st.ScopeRules) > 0 {
					rules = strings.Join(st.ScopeRules, ", ")
				}
				fmt.Fprintf(w, "scope rules %s (%s)\n", st.ScopeRulesHash, rules)
				if st.ScopeRulesMismatches > 0 {
					fmt.Fprintf(w, "sessions refused for other scope rules %d\n", st.ScopeRulesMismatches)
				}
				if len(st.Peers) == 0 {
					fmt.Fprintln(w, "no peers")
					return
				}
				tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "PEER\tADDR\tCONNECTED\tLAST SEEN\tLAG")
				for _, p := range st.Peers {
					fmt.Fprintf(tw, "%s\t%s\t%v\t%s\t%d\n", p.ID, p.Addr, p.Connected, p.LastSeen, p.Lag)
				}
				tw.Flush()
				for _, p := range st.Peers {
					if p.LastError != "" {
						fmt.Fprintf(w, "%s: %s\n", p.Addr, p.LastError)
					}
				}
			})
		})
	}
	return cmd
}
