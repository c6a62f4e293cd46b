// Command kubelet runs an image credential provider exactly as the kubelet does, through the
// kubelet's own code from k8s.io/kubernetes: plugin.RegisterCredentialProviderPlugins reads and
// validates the CredentialProviderConfig (a bad file fails here with the kubelet's own error),
// parsers.ParseImageName turns each image into the repository the kubelet looks up (no tag, no
// digest), and the external keyring's Lookup execs the provider, decodes its answer strictly and
// caches it in the kubelet's in-memory cache.
//
//	kubelet -config FILE -bin-dir DIR [-feature-gates G=true] [-pods a,b] [-service-account NAME]
//	        [-annotation KEY=VALUE]... IMAGE...
//
// For every pod (one by default) and every image, in order, it prints one line:
//
//	pod=a image=IMAGE repo=REPO execs=N errors=N username=AWS password=sha256:HEX source=NS/SA
//
// execs and errors are how many times this Lookup ran the provider and how many of those runs
// failed, read from the kubelet's own metrics (kubelet_credential_provider_plugin_duration and
// _errors_total): a Lookup served from the kubelet's cache runs nothing. That is how the cache key
// the kubelet derived from the answer's cacheKeyType, and that the answer was cached at all, can be
// seen from outside: the cache itself is unexported. The password is never printed, only its
// SHA-256, so a caller can check it against the one it expects.
package main

import (
	"crypto/sha256"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"

	authenticationv1 "k8s.io/api/authentication/v1"
	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	utilfeature "k8s.io/apiserver/pkg/util/feature"
	"k8s.io/component-base/metrics/legacyregistry"
	"k8s.io/klog/v2"
	"k8s.io/kubernetes/pkg/credentialprovider/plugin"
	"k8s.io/kubernetes/pkg/util/parsers"
)

// namespace is where the pods and their service account live.
const namespace = "e2e"

type annotations map[string]string

func (a annotations) String() string { return fmt.Sprint(map[string]string(a)) }
func (a annotations) Set(v string) error {
	key, value, ok := strings.Cut(v, "=")
	if !ok || key == "" {
		return fmt.Errorf("want KEY=VALUE, got %q", v)
	}
	a[key] = value
	return nil
}

func main() {
	config := flag.String("config", "", "the kubelet's --image-credential-provider-config (a file or a folder)")
	binDir := flag.String("bin-dir", "", "the kubelet's --image-credential-provider-bin-dir")
	gates := flag.String("feature-gates", "", "the kubelet's --feature-gates, e.g. KubeletServiceAccountTokenForCredentialProviders=true")
	pods := flag.String("pods", "pod-a", "comma-separated pod names; every image is looked up for each pod in turn")
	serviceAccount := flag.String("service-account", "", "the pods' service account (none: a pod without one, like a static pod)")
	saAnnotations := annotations{}
	flag.Var(saAnnotations, "annotation", "KEY=VALUE: an annotation of the service account (repeatable)")
	klogFlags := flag.NewFlagSet("klog", flag.ExitOnError)
	klog.InitFlags(klogFlags)
	verbosity := flag.String("v", "0", "the kubelet's log verbosity (klog -v)")
	flag.Parse()
	if err := klogFlags.Set("v", *verbosity); err != nil {
		fatal(err)
	}
	if *config == "" || *binDir == "" || flag.NArg() == 0 {
		fatal(errors.New("usage: kubelet -config FILE -bin-dir DIR [flags] IMAGE..."))
	}
	if *gates != "" {
		// The kubelet's --feature-gates land in this same gate, before the plugins are registered.
		if err := utilfeature.DefaultMutableFeatureGate.Set(*gates); err != nil {
			fatal(err)
		}
	}

	var audiences []string
	getToken := func(ns, name string, tr *authenticationv1.TokenRequest) (*authenticationv1.TokenRequest, error) {
		// The kubelet's token manager asks the API server for a token bound to the pod, so every
		// pod gets its own token: that is what cacheType Token would key on.
		audiences = tr.Spec.Audiences
		out := tr.DeepCopy()
		out.Status.Token = fmt.Sprintf("e2e-sa-token.%s.%s.%s", ns, name, tr.Spec.BoundObjectRef.Name)
		return out, nil
	}
	getServiceAccount := func(ns, name string) (*v1.ServiceAccount, error) {
		return &v1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{
			Namespace: ns, Name: name, UID: types.UID("uid-" + name), Annotations: saAnnotations,
		}}, nil
	}
	if err := plugin.RegisterCredentialProviderPlugins(*config, *binDir, getToken, getServiceAccount); err != nil {
		fatal(err)
	}

	for _, pod := range strings.Split(*pods, ",") {
		for _, image := range flag.Args() {
			// As the kubelet's image manager does: the repository without tag or digest is looked up.
			repo, _, _, err := parsers.ParseImageName(image)
			if err != nil {
				fatal(err)
			}
			// The kubelet makes a new keyring for every pull; the providers and their cache live on.
			keyring := plugin.NewExternalCredentialProviderDockerKeyring(namespace, pod, "uid-"+pod, *serviceAccount)
			runs, failures := pluginRuns()
			creds, _ := keyring.Lookup(repo)
			runsAfter, failuresAfter := pluginRuns()
			line := fmt.Sprintf("pod=%s image=%s repo=%s execs=%d errors=%d", pod, image, repo, runsAfter-runs, failuresAfter-failures)
			if len(creds) == 0 {
				line += " username=- password=-"
			}
			for _, c := range creds {
				line += fmt.Sprintf(" username=%s password=%s", orDash(c.Username), digest(c.Password))
				if c.Source != nil && c.Source.ServiceAccount != nil {
					line += fmt.Sprintf(" source=%s/%s", c.Source.ServiceAccount.Namespace, c.Source.ServiceAccount.Name)
				}
			}
			if len(audiences) > 0 {
				line += " audience=" + strings.Join(audiences, ",")
				audiences = nil
			}
			fmt.Println(line)
		}
	}
}

// pluginRuns reads the kubelet's own counters: provider runs (the duration histogram's sample
// count, observed once per exec) and failed runs, summed over all providers.
func pluginRuns() (runs, failures uint64) {
	families, err := legacyregistry.DefaultGatherer.Gather()
	if err != nil {
		fatal(err)
	}
	for _, family := range families {
		for _, m := range family.GetMetric() {
			switch family.GetName() {
			case "kubelet_credential_provider_plugin_duration":
				runs += m.GetHistogram().GetSampleCount()
			case "kubelet_credential_provider_plugin_errors_total":
				failures += uint64(m.GetCounter().GetValue())
			}
		}
	}
	return runs, failures
}

func digest(password string) string {
	if password == "" {
		return "-"
	}
	return fmt.Sprintf("sha256:%x", sha256.Sum256([]byte(password)))
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "kubelet:", err)
	os.Exit(1)
}
