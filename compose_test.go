package main

import (
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"relman/bot/slackfake"
	"relman/store/postgres"
)

// composeFile is the part of compose.yaml the test checks.
type composeFile struct {
	Services map[string]struct {
		Image       string            `yaml:"image"`
		Build       any               `yaml:"build"`
		Environment map[string]string `yaml:"environment"`
		Ports       []string          `yaml:"ports"`
		Volumes     []string          `yaml:"volumes"`
		DependsOn   map[string]struct {
			Condition string `yaml:"condition"`
		} `yaml:"depends_on"`
		Healthcheck struct {
			Test []string `yaml:"test"`
		} `yaml:"healthcheck"`
	} `yaml:"services"`
	Volumes map[string]any `yaml:"volumes"`
}

// composeVar is ${NAME}, ${NAME:-default} or ${NAME:?message}.
var composeVar = regexp.MustCompile(`\$\{([A-Z0-9_]+)(?::([-?])([^}]*))?\}`)

// composeExpand expands compose's variables in s as docker compose would
// with env set.
func composeExpand(s string, env map[string]string) string {
	return composeVar.ReplaceAllStringFunc(s, func(v string) string {
		m := composeVar.FindStringSubmatch(v)
		if val, ok := env[m[1]]; ok && val != "" {
			return val
		}
		if m[2] == "-" {
			return m[3]
		}
		return ""
	})
}

// TestComposeFile: compose.yaml runs PostgreSQL 15 with a volume and two
// relman replicas built from the Dockerfile, each with a healthcheck,
// published on 127.0.0.1 only, passing RELMAN_PUBLIC_URL through, whose
// RELMAN_DB names the postgres service's database and user, and whose
// settings relman accepts.
func TestComposeFile(t *testing.T) {
	b, err := os.ReadFile("compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var c composeFile
	if err := yaml.Unmarshal(b, &c); err != nil {
		t.Fatalf("compose.yaml: %v", err)
	}
	pg, ok := c.Services["postgres"]
	if !ok {
		t.Fatal("compose.yaml has no postgres service")
	}
	if !strings.HasPrefix(pg.Image, "postgres:15") {
		t.Errorf("postgres image = %q; want postgres:15", pg.Image)
	}
	if !slices.ContainsFunc(pg.Volumes, func(v string) bool { return strings.HasSuffix(v, ":/var/lib/postgresql/data") }) {
		t.Errorf("postgres volumes = %q; want a volume on /var/lib/postgresql/data", pg.Volumes)
	}
	for _, v := range pg.Volumes {
		if name, _, _ := strings.Cut(v, ":"); !strings.HasPrefix(name, ".") && !strings.HasPrefix(name, "/") {
			if _, ok := c.Volumes[name]; !ok {
				t.Errorf("postgres volume %q is not declared under volumes", name)
			}
		}
	}
	if len(pg.Healthcheck.Test) == 0 {
		t.Error("postgres has no healthcheck")
	}

	env := map[string]string{"SLACK_BOT_TOKEN": "xoxb-compose", "SLACK_SIGNING_SECRET": "compose-secret"}
	var replicas []string
	hostPorts := map[string]string{}
	for name, s := range c.Services {
		if name == "postgres" {
			continue
		}
		replicas = append(replicas, name)
		t.Run(name, func(t *testing.T) {
			if s.Build != "." {
				t.Errorf("build = %v; want . (the Dockerfile)", s.Build)
			}
			if s.DependsOn["postgres"].Condition != "service_healthy" {
				t.Errorf("depends_on = %+v; want postgres: service_healthy", s.DependsOn)
			}
			if diff := slices.Compare(s.Healthcheck.Test, []string{"CMD", "/relman", "healthcheck"}); diff != 0 {
				t.Errorf("healthcheck = %q; want [CMD /relman healthcheck]", s.Healthcheck.Test)
			}
			for _, k := range []string{"SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "RELMAN_PUBLIC_URL"} {
				if !strings.Contains(s.Environment[k], "${"+k) {
					t.Errorf("%s = %q; want it from the environment (${%s…})", k, s.Environment[k], k)
				}
			}
			// Published on the loopback address only: the TLS proxy
			// in front reaches them, nothing else does.
			for _, p := range s.Ports {
				parts := strings.Split(p, ":")
				if len(parts) != 3 || parts[0] != "127.0.0.1" || parts[2] != "3000" {
					t.Errorf("port %q; want 127.0.0.1:<host port>:3000", p)
					continue
				}
				host := parts[1]
				if other, dup := hostPorts[host]; dup {
					t.Errorf("host port %s is used by %s and %s", host, other, name)
				}
				hostPorts[host] = name
			}
			dsn := composeExpand(s.Environment["RELMAN_DB"], env)
			if !postgres.IsDSN(dsn) {
				t.Fatalf("RELMAN_DB = %q; want a PostgreSQL DSN", dsn)
			}
			if err := postgres.CheckDSN(dsn); err != nil {
				t.Fatalf("RELMAN_DB: %v", err)
			}
			u, err := url.Parse(dsn)
			if err != nil {
				t.Fatal(err)
			}
			pw, _ := u.User.Password()
			want := map[string]string{
				"host":     "postgres",
				"port":     "5432",
				"user":     composeExpand(pg.Environment["POSTGRES_USER"], env),
				"password": composeExpand(pg.Environment["POSTGRES_PASSWORD"], env),
				"database": composeExpand(pg.Environment["POSTGRES_DB"], env),
			}
			got := map[string]string{"host": u.Hostname(), "port": u.Port(), "user": u.User.Username(), "password": pw, "database": strings.TrimPrefix(u.Path, "/")}
			for k, w := range want {
				if got[k] != w {
					t.Errorf("RELMAN_DB's %s = %q; the postgres service's is %q", k, got[k], w)
				}
			}
			// relman accepts the settings as compose passes them.
			vars := map[string]string{}
			for k, v := range s.Environment {
				vars[k] = composeExpand(v, env)
			}
			cfg, err := loadConfig(getenv(vars))
			if err == nil {
				err = cfg.serveErrors()
			}
			if err != nil {
				t.Errorf("relman refuses the compose settings: %v", err)
			}
			// RELMAN_PUBLIC_URL reaches relman as the operator set it.
			vars["RELMAN_PUBLIC_URL"] = composeExpand(s.Environment["RELMAN_PUBLIC_URL"], map[string]string{"RELMAN_PUBLIC_URL": "https://relman.example.com/"})
			if cfg, err := loadConfig(getenv(vars)); err != nil || cfg.PublicURL != "https://relman.example.com" {
				t.Errorf("with RELMAN_PUBLIC_URL=https://relman.example.com/ set, relman's PublicURL = %q (%v); want https://relman.example.com", cfg.PublicURL, err)
			}
		})
	}
	if len(replicas) != 2 {
		t.Errorf("relman services = %q; want two replicas", replicas)
	}
	if len(hostPorts) != 2 {
		t.Errorf("host ports = %v; want one per replica", hostPorts)
	}
}

// TestRunHealthcheck: relman healthcheck, the replicas' container
// healthcheck, succeeds against a serving relman and fails quickly when
// nothing serves.
func TestRunHealthcheck(t *testing.T) {
	fake := slackfake.New()
	t.Cleanup(fake.Close)
	srv := mustServe(t, httpEnv(fake, filepath.Join(t.TempDir(), "relman.db")))
	_, port, err := net.SplitHostPort(srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	check := func(addr string) error {
		e := map[string]string{"RELMAN_ADDR": addr}
		return run(t.Context(), []string{"healthcheck"}, getenv(e), strings.NewReader(""), nil, nil)
	}
	if err := check(":" + port); err != nil {
		t.Errorf("relman healthcheck against a serving relman = %v; want nil", err)
	}
	if err := srv.stop(t); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := check(":" + port); err == nil || !strings.Contains(err.Error(), "healthcheck") {
		t.Errorf("relman healthcheck with nothing serving = %v; want an error", err)
	}
	if d := time.Since(start); d > 2*healthcheckTimeout {
		t.Errorf("relman healthcheck took %s to fail", d)
	}
}
