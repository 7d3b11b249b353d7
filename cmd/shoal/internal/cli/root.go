package cli

import (
	"fmt"
	"os"

	"github.com/shoal-db/shoal/cmd/shoal/internal/client"
	"github.com/spf13/cobra"
)

// NewRoot returns the shoal command. Errors are returned, not printed:
// main prints them as "shoal: <error>".
func NewRoot() *cobra.Command {
	root := &cobra.Command{
		Use:           "shoal",
		Short:         "Shoal: an eventually consistent key-value store",
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	addr := os.Getenv("SHOAL_ADDR")
	if addr == "" {
		addr = client.DefaultAddr
	}
	root.PersistentFlags().String("addr", addr, "address of the agent's HTTP API; env SHOAL_ADDR")
	root.AddCommand(agentCmd(), kvCmd(), counterCmd(), setCmd(), mapCmd(), statusCmd(), backupCmd(), restoreCmd(), certCmd())
	return root
}

// newClient returns a client of the --addr server.
func newClient(cmd *cobra.Command) (*client.Client, error) {
	addr, _ := cmd.Flags().GetString("addr")
	return client.New(addr, nil)
}

// output is the -o flag of a read command.
type output struct{ format string }

func addOutput(cmd *cobra.Command) *output {
	o := &output{}
	cmd.PersistentFlags().StringVarP(&o.format, "output", "o", "text", "output format: text or json")
	return o
}

func (o *output) json() (bool, error) {
	switch o.format {
	case "json":
		return true, nil
	case "text", "":
		return false, nil
	}
	return false, fmt.Errorf("-o %s: want text or json", o.format)
}
