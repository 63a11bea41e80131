package main

import (
	"fmt"

	"github.com/kefuhq/kefu/examples"
	"github.com/kefuhq/kefu/pkg/config"
)

// The demo settings the local host uses for the WeChat variables left unset. They are public
// (printed at start, written in the README): the local host plays WeChat itself, so it only
// needs both sides to agree. A deployed function never fills anything in.
const (
	demoAppID     = examples.DemoAppID
	demoToken     = "kefu-local-demo-token"
	demoAESKey    = "kefuLocalDemoEncodingAESKey0123456789abcdef"
	demoAppSecret = "kefu-local-demo-secret"
)

// setting is one WECHAT_* variable as the local host uses it.
type setting struct {
	Name  string
	Value string
	// Demo is true when the variable was unset and the demo value stands in.
	Demo bool
	// Secret is true for values never printed when they come from the environment.
	Secret bool
}

// demoEnv returns a lookup that answers the unset WECHAT_* variables with the demo values,
// and the four settings as used (in the order the banner prints them). A variable set to the
// empty string counts as unset, as config.Load reads it. Every other variable, and every
// WECHAT_* variable that is set, is read from lookup unchanged.
func demoEnv(lookup config.Lookup) (config.Lookup, []setting) {
	defaults := []setting{
		{Name: config.AppID, Value: demoAppID},
		{Name: config.Token, Value: demoToken, Secret: true},
		{Name: config.EncodingAESKey, Value: demoAESKey, Secret: true},
		{Name: config.AppSecret, Value: demoAppSecret, Secret: true},
	}
	filled := make(map[string]string, len(defaults))
	used := make([]setting, 0, len(defaults))
	for _, d := range defaults {
		if v, ok := lookup(d.Name); ok && v != "" {
			used = append(used, setting{Name: d.Name, Value: v, Secret: d.Secret})
			continue
		}
		filled[d.Name] = d.Value
		d.Demo = true
		used = append(used, d)
	}
	return func(name string) (string, bool) {
		if v, ok := filled[name]; ok {
			return v, true
		}
		return lookup(name)
	}, used
}

// loadConfig reads the configuration as the local host does, through config.Load with the
// demo values for the unset WECHAT_* variables, and returns the settings used for the banner.
// Every other variable of the contract is honoured as set; the caller points APIBase at the
// host's own simulator when WECHAT_API_BASE is unset, once it knows its address.
func loadConfig(lookup config.Lookup) (*config.Config, []setting, error) {
	env, used := demoEnv(lookup)
	cfg, err := config.Load(env, defaultPort)
	if err != nil {
		return nil, nil, err
	}
	return cfg, used, nil
}

// simAPIBase returns the base URL of the host's own simulated WeChat API for a host at
// baseURL.
func simAPIBase(baseURL string) string { return baseURL + apiPrefix }

// apiBaseSet reports whether WECHAT_API_BASE is set (so the function calls another API than
// the host's simulator).
func apiBaseSet(lookup config.Lookup) bool {
	v, ok := lookup(config.APIBase)
	return ok && v != ""
}

// describe returns how the banner shows a setting.
func (s setting) describe() string {
	switch {
	case s.Demo:
		return fmt.Sprintf("%s=%s", s.Name, s.Value)
	case s.Secret:
		return fmt.Sprintf("%s is set in the environment", s.Name)
	default:
		return fmt.Sprintf("%s=%s (from the environment)", s.Name, s.Value)
	}
}
