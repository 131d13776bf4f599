// Stand-in for wollomatic/socket-proxy, used only where that image can be neither pulled nor built
// (its Go module is not served by the module proxy our CI reaches). It is this project's own code and
// keeps the upstream command-line contract for the features the stack uses: a TCP listener that
// forwards allowlisted HTTP requests to a unix socket (the Docker engine), deny by default.
//
// Supported flags (and SP_* environment variables, ignored when the flag is given):
//
//	-listenip -proxyport -socketpath -allowfrom -allowGET/-allowHEAD/... (repeatable, regex anchored
//	with ^$) -allowhealthcheck -loglevel -logjson -shutdowngracetime -watchdoginterval -stoponwatchdog
//
// Unsupported upstream flags (-allowbindmountfrom, -proxycontainername, -proxysocketendpoint,
// -proxysocketendpointfilemode) are refused at start with a clear error rather than silently ignored.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/signal"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

const healthAddr = "127.0.0.1:55555"

// version is the upstream release whose contract this stand-in follows (set at build time).
var version = "dev"

var methods = []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "CONNECT", "TRACE", "OPTIONS"}

type patterns []string

func (p *patterns) String() string     { return strings.Join(*p, ",") }
func (p *patterns) Set(v string) error { *p = append(*p, v); return nil }

type config struct {
	listenIP, proxyPort, socketPath, allowFrom, logLevel string
	logJSON, allowHealthcheck, stopOnWatchdog            bool
	shutdownGrace, watchdogInterval                      int
	allow                                                map[string][]*regexp.Regexp
}

func main() {
	cfg, err := parseConfig(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "socket-proxy (stand-in):", err)
		os.Exit(2)
	}
	logger := newLogger(cfg)
	if err := run(cfg, logger); err != nil {
		logger.Error("stopped", "error", err)
		os.Exit(1)
	}
}

func parseConfig(args []string) (*config, error) {
	fs := flag.NewFlagSet("socket-proxy", flag.ContinueOnError)
	cfg := &config{allow: map[string][]*regexp.Regexp{}}
	fs.StringVar(&cfg.listenIP, "listenip", "127.0.0.1", "IP address to listen on")
	fs.StringVar(&cfg.proxyPort, "proxyport", "2375", "TCP port to listen on")
	fs.StringVar(&cfg.socketPath, "socketpath", "/var/run/docker.sock", "unix socket to forward to")
	fs.StringVar(&cfg.allowFrom, "allowfrom", "127.0.0.1/32", "comma-separated CIDRs or hostnames allowed to connect")
	fs.StringVar(&cfg.logLevel, "loglevel", "INFO", "DEBUG, INFO, WARN or ERROR")
	fs.BoolVar(&cfg.logJSON, "logjson", false, "log as JSON")
	fs.BoolVar(&cfg.allowHealthcheck, "allowhealthcheck", false, "serve "+healthAddr+"/health for the healthcheck binary")
	fs.BoolVar(&cfg.stopOnWatchdog, "stoponwatchdog", false, "exit when the watchdog finds the socket unavailable")
	fs.IntVar(&cfg.shutdownGrace, "shutdowngracetime", 10, "seconds to wait for a graceful shutdown")
	fs.IntVar(&cfg.watchdogInterval, "watchdoginterval", 0, "check the socket every N seconds (0: off)")
	perMethod := map[string]*patterns{}
	for _, m := range methods {
		p := &patterns{}
		perMethod[m] = p
		fs.Var(p, "allow"+m, "regex of "+m+" paths to allow (repeatable)")
	}
	for _, name := range []string{"allowbindmountfrom", "proxycontainername", "proxysocketendpoint", "proxysocketendpointfilemode"} {
		fs.Func(name, "not supported by this stand-in", func(string) error {
			return errors.New("not supported by this stand-in of wollomatic/socket-proxy")
		})
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	envString := func(name, env string, dst *string) {
		if v, ok := os.LookupEnv(env); ok && !given[name] {
			*dst = v
		}
	}
	envString("listenip", "SP_LISTENIP", &cfg.listenIP)
	envString("proxyport", "SP_PROXYPORT", &cfg.proxyPort)
	envString("socketpath", "SP_SOCKETPATH", &cfg.socketPath)
	envString("allowfrom", "SP_ALLOWFROM", &cfg.allowFrom)
	envString("loglevel", "SP_LOGLEVEL", &cfg.logLevel)
	for _, b := range []struct {
		name, env string
		dst       *bool
	}{{"logjson", "SP_LOGJSON", &cfg.logJSON}, {"allowhealthcheck", "SP_ALLOWHEALTHCHECK", &cfg.allowHealthcheck}, {"stoponwatchdog", "SP_STOPONWATCHDOG", &cfg.stopOnWatchdog}} {
		if v, ok := os.LookupEnv(b.env); ok && !given[b.name] {
			parsed, err := strconv.ParseBool(v)
			if err != nil {
				return nil, fmt.Errorf("%s=%q is not a boolean", b.env, v)
			}
			*b.dst = parsed
		}
	}
	for _, n := range []struct {
		name, env string
		dst       *int
	}{{"shutdowngracetime", "SP_SHUTDOWNGRACETIME", &cfg.shutdownGrace}, {"watchdoginterval", "SP_WATCHDOGINTERVAL", &cfg.watchdogInterval}} {
		if v, ok := os.LookupEnv(n.env); ok && !given[n.name] {
			parsed, err := strconv.Atoi(v)
			if err != nil {
				return nil, fmt.Errorf("%s=%q is not an integer", n.env, v)
			}
			*n.dst = parsed
		}
	}
	for _, m := range methods {
		list := []string(*perMethod[m])
		if !given["allow"+m] {
			// SP_ALLOW_GET, SP_ALLOW_GET_2, ... in a stable order.
			var keys []string
			for _, kv := range os.Environ() {
				k, _, _ := strings.Cut(kv, "=")
				if k == "SP_ALLOW_"+m || strings.HasPrefix(k, "SP_ALLOW_"+m+"_") {
					keys = append(keys, k)
				}
			}
			sort.Strings(keys)
			for _, k := range keys {
				list = append(list, os.Getenv(k))
			}
		}
		for _, p := range list {
			re, err := regexp.Compile("^" + p + "$")
			if err != nil {
				return nil, fmt.Errorf("-allow%s=%q is not a valid regular expression: %v", m, p, err)
			}
			cfg.allow[m] = append(cfg.allow[m], re)
		}
	}
	switch strings.ToUpper(cfg.logLevel) {
	case "DEBUG", "INFO", "WARN", "ERROR":
	default:
		return nil, fmt.Errorf("-loglevel=%q: use DEBUG, INFO, WARN or ERROR", cfg.logLevel)
	}
	if net.ParseIP(cfg.listenIP) == nil {
		return nil, fmt.Errorf("-listenip=%q is not an IP address", cfg.listenIP)
	}
	return cfg, nil
}

func newLogger(cfg *config) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(strings.ToUpper(cfg.logLevel)))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.logJSON {
		return slog.New(slog.NewJSONHandler(os.Stdout, opts))
	}
	return slog.New(slog.NewTextHandler(os.Stdout, opts))
}

// clientAllowed checks the peer against -allowfrom: CIDRs directly, hostnames by resolving them now
// (compose service names resolve to the container's current address).
func clientAllowed(allowFrom string, remote net.IP) bool {
	for _, entry := range strings.Split(allowFrom, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		if _, network, err := net.ParseCIDR(entry); err == nil {
			if network.Contains(remote) {
				return true
			}
			continue
		}
		if ip := net.ParseIP(entry); ip != nil {
			if ip.Equal(remote) {
				return true
			}
			continue
		}
		addrs, err := net.LookupIP(entry)
		if err != nil {
			continue
		}
		for _, a := range addrs {
			if a.Equal(remote) {
				return true
			}
		}
	}
	return false
}

func run(cfg *config, logger *slog.Logger) error {
	logger.Info("starting socket-proxy stand-in (not the upstream wollomatic binary)", "version", version,
		"listen", net.JoinHostPort(cfg.listenIP, cfg.proxyPort), "socket", cfg.socketPath, "allowfrom", cfg.allowFrom)
	for _, m := range methods {
		for _, re := range cfg.allow[m] {
			logger.Info("allow", "method", m, "path", re.String())
		}
	}
	dialSocket := func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", cfg.socketPath)
	}
	proxy := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(&url.URL{Scheme: "http", Host: "docker"})
			r.Out.Host = "docker"
		},
		Transport:     &http.Transport{DialContext: dialSocket},
		FlushInterval: -1, // stream /events and logs as they come
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			logger.Error("socket unreachable", "socket", cfg.socketPath, "error", err)
			http.Error(w, "socket-proxy: cannot reach "+cfg.socketPath, http.StatusBadGateway)
		},
	}
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host, _, _ := net.SplitHostPort(r.RemoteAddr)
		if !clientAllowed(cfg.allowFrom, net.ParseIP(host)) {
			logger.Warn("blocked client", "remote", r.RemoteAddr, "method", r.Method, "path", r.URL.Path)
			http.Error(w, "Forbidden", http.StatusForbidden)
			return
		}
		allowed := false
		for _, re := range cfg.allow[r.Method] {
			if re.MatchString(r.URL.Path) {
				allowed = true
				break
			}
		}
		if !allowed {
			logger.Warn("blocked request", "remote", r.RemoteAddr, "method", r.Method, "path", r.URL.Path)
			http.Error(w, "Forbidden", http.StatusForbidden)
			return
		}
		logger.Debug("allowed request", "remote", r.RemoteAddr, "method", r.Method, "path", r.URL.Path)
		proxy.ServeHTTP(w, r)
	})
	server := &http.Server{Addr: net.JoinHostPort(cfg.listenIP, cfg.proxyPort), Handler: handler, ReadHeaderTimeout: 10 * time.Second}

	socketUp := func() bool {
		c, err := net.DialTimeout("unix", cfg.socketPath, 2*time.Second)
		if err != nil {
			return false
		}
		_ = c.Close()
		return true
	}
	if !socketUp() {
		logger.Warn("socket not reachable at start", "socket", cfg.socketPath)
	}

	errs := make(chan error, 3)
	go func() { errs <- server.ListenAndServe() }()
	var health *http.Server
	if cfg.allowHealthcheck {
		health = &http.Server{Addr: healthAddr, ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/health" || !socketUp() {
				http.Error(w, "unhealthy", http.StatusServiceUnavailable)
				return
			}
			_, _ = w.Write([]byte("ok"))
		})}
		go func() { errs <- health.ListenAndServe() }()
	}
	if cfg.watchdogInterval > 0 {
		go func() {
			for range time.Tick(time.Duration(cfg.watchdogInterval) * time.Second) {
				if socketUp() {
					continue
				}
				logger.Error("watchdog: socket unavailable", "socket", cfg.socketPath)
				if cfg.stopOnWatchdog {
					errs <- errors.New("watchdog: socket unavailable")
					return
				}
			}
		}()
	}

	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT)
	select {
	case err := <-errs:
		if !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	case sig := <-signals:
		logger.Info("shutting down", "signal", sig.String())
		ctx, cancel := context.WithTimeout(context.Background(), time.Duration(cfg.shutdownGrace)*time.Second)
		defer cancel()
		if health != nil {
			_ = health.Shutdown(ctx)
		}
		return server.Shutdown(ctx)
	}
}
