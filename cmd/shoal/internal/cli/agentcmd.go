package cli

import (
	"os"
	"os/signal"
	"syscall"

	"github.com/shoal-db/shoal/cmd/shoal/internal/agent"
	"github.com/spf13/cobra"
)

func agentCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "agent",
		Short: "Run a node and serve its HTTP API",
		Long: `Run a node and serve its HTTP API until SIGTERM or SIGINT, then shut down
gracefully: every write already acknowledged is on disk.

Settings come from flags, then SHOAL_<FLAG> environment variables (SHOAL_PEER is
comma-separated), then the --config file (YAML or JSON, keys are flag names),
then defaults. Without --ca/--cert/--key the node makes its own CA and identity
under its data directory. A node with neither peers nor certificates nor an
explicit --listen stays local-only and opens no peer port.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := agent.Load(cmd.Flags(), os.LookupEnv)
			if err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGTERM, syscall.SIGINT)
			defer stop()
			go func() {
				<-ctx.Done()
				stop() // a second signal kills at once, as a user pressing ^C twice expects
			}()
			return agent.Run(ctx, cfg, agent.Deps{EnsureIdentity: ensureIdentity, LogOutput: cmd.ErrOrStderr()})
		},
	}
	agent.BindFlags(cmd.Flags())
	return cmd
}
