package bench

import "errors"

// pebbleOpener and shoalOpener open a store and set up wl's phase on it,
// closing the store again if the setup fails.
func pebbleOpener(cfg Config, wl workload) opener {
	return func(dir string, workers int) (phase, func() error, error) {
		db, err := openPebble(dir, cfg)
		if err != nil {
			return phase{}, nil, err
		}
		p, err := wl.pebble(db, cfg, workers)
		if err != nil {
			return phase{}, nil, errors.Join(err, db.Close())
		}
		return p, db.Close, nil
	}
}

func shoalOpener(cfg Config, wl workload) opener {
	return func(dir string, workers int) (phase, func() error, error) {
		db, err := openShoal(dir, cfg)
		if err != nil {
			return phase{}, nil, err
		}
		p, err := wl.shoal(db, cfg, workers)
		if err != nil {
			return phase{}, nil, errors.Join(err, db.Close())
		}
		return p, db.Close, nil
	}
}
