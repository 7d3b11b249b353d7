package cli

import (
	"errors"
	"fmt"

	"github.com/shoal-db/shoal/cmd/shoal/internal/agent"
	"github.com/shoal-db/shoal/cmd/shoal/internal/client"
	"github.com/spf13/cobra"
)

func backupCmd() *cobra.Command {
	var outDir string
	cmd := &cobra.Command{
		Use:   "backup DIR",
		Short: "Have the running agent write a backup of its node into DIR, on the agent's machine",
		Long: `Have the agent at --addr write a consistent copy of its node's data into DIR while
it keeps serving. DIR is a path on the agent's machine: absolute, not existing yet,
outside the node's data directory. Every write acknowledged before the command is
in the backup. Bring a backup back with shoal restore, never by copying it into a
data directory by hand (see docs/OPERATIONS.md). --out DIR works as well as DIR.`,
		Args: cobra.MaximumNArgs(1),
	}
	cmd.Flags().StringVar(&outDir, "out", "", "the backup directory (instead of the DIR argument)")
	out := addOutput(cmd)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		dir, err := oneDir(args, outDir)
		if err != nil {
			return err
		}
		return withClient(cmd, func(c *client.Client) error {
			res, err := c.Backup(cmd.Context(), dir)
			return show(cmd, out, err, res, func() {
				fmt.Fprintf(cmd.OutOrStdout(), "backup written to %s (%d bytes)\n", res.Dir, res.Bytes)
			})
		})
	}
	return cmd
}

// oneDir is the backup directory, from the argument or --out.
func oneDir(args []string, out string) (string, error) {
	switch {
	case len(args) == 1 && out != "":
		return "", errors.New("give the backup directory once: as DIR or as --out, not both")
	case len(args) == 1:
		return args[0], nil
	case out != "":
		return out, nil
	}
	return "", errors.New("missing the backup directory: shoal backup DIR")
}

// Restored is what shoal restore -o json prints.
type Restored struct {
	From   string `json:"from"`
	Dir    string `json:"dir"`
	NodeID string `json:"node_id"`
}

func restoreCmd() *cobra.Command {
	var from, dir string
	cmd := &cobra.Command{
		Use:   "restore --from BACKUP --data DIR",
		Short: "Make DIR a node from a backup, with a fresh replica id (offline)",
		Long: `Make DIR (new, or an empty directory) a node's data directory holding the backup
in BACKUP (written by shoal backup), and print the node's new id. No agent may run on
DIR: this command works on the files. Then start the agent with --data DIR.

The restored node takes a fresh replica id: the node the backup came from may have
gone on writing after it, and a copy under the same id would reuse its write ids,
so its new writes would never reach the peers that saw the old ones. An agent with
peers or certificates binds its id to its certificate at its first start, so it
may report yet another fresh id; either way it is not the backup's.`,
		Args: cobra.NoArgs,
	}
	cmd.Flags().StringVar(&from, "from", "", "the backup directory (written by shoal backup)")
	cmd.Flags().StringVar(&dir, "data", "", "the data directory to make (new or empty)")
	_ = cmd.MarkFlagRequired("from")
	_ = cmd.MarkFlagRequired("data")
	out := addOutput(cmd)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		if _, err := out.json(); err != nil {
			return err
		}
		id, err := agent.Restore(from, dir, agent.NewLogger("text", "warn", cmd.ErrOrStderr()))
		res := Restored{From: from, Dir: dir, NodeID: id}
		return show(cmd, out, err, res, func() {
			fmt.Fprintf(cmd.OutOrStdout(), "restored %s into %s: node %s (a fresh replica id)\n", from, dir, id)
		})
	}
	return cmd
}
