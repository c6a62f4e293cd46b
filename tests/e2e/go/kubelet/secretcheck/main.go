// Command secretcheck reads a Secret manifest on stdin and judges it with Kubernetes' own code
// from k8s.io/kubernetes, as the API server and then the kubelet would:
//
//   - the API server's decoding, strict (legacyscheme's codecs with EnableStrict: an unknown or
//     duplicate field is an error), JSON or YAML, into a core/v1 Secret;
//   - its defaulting, and the conversion to the internal type that validation works on;
//   - its validation, apis/core/validation.ValidateSecret: the name (a DNS-1123 subdomain), the
//     namespace (a DNS-1123 label), the data keys and size, and for kubernetes.io/dockerconfigjson
//     a .dockerconfigjson key that is JSON;
//   - the kubelet's reading of an imagePullSecret: credentialprovider/secrets.MakeDockerKeyring
//     (credentialprovider.DockerConfigJSON, whose entries decode `auth`), and a keyring Lookup for
//     each IMAGE given.
//
// Usage:
//
//	secretcheck [-namespace NS] IMAGE... < MANIFEST
//
// A manifest without a namespace is put in NS (default "default") before validation, as kubectl
// apply does with its context's namespace. On success it prints one line for the Secret and one
// per image, the password only as its SHA-256:
//
//	secret name=NAME namespace=NS type=TYPE hosts=HOST,HOST
//	image=IMAGE username=AWS password=sha256:HEX
//
// (username=- password=- when no entry matches.) Every refusal is one line on stderr and exit 1,
// with the Kubernetes code's own message.
//
// With -recipe, stdin is instead a YAML stream of the objects that keep such a Secret fresh (a
// ServiceAccount, a Role, a RoleBinding and a CronJob, docs/export.md's recipe), each decoded strictly and
// validated by its kind's own validation (ValidateServiceAccount, rbac's ValidateRole and
// ValidateRoleBinding, batch's ValidateCronJobCreate); it prints one line per object, then
// checks that they fit together: the Role may get, patch and update the Secret that the CronJob's
// command names with --kubernetes-secret, and the RoleBinding gives that Role to the CronJob's
// ServiceAccount. It prints the CronJob's command last, for the caller to run.
package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/kubernetes/pkg/api/legacyscheme"
	"k8s.io/kubernetes/pkg/apis/core"
	_ "k8s.io/kubernetes/pkg/apis/core/install"
	"k8s.io/kubernetes/pkg/apis/core/validation"
	"k8s.io/kubernetes/pkg/credentialprovider"
	"k8s.io/kubernetes/pkg/credentialprovider/secrets"
)

func main() {
	namespace := flag.String("namespace", "default", "the namespace of a manifest that names none, as kubectl's context gives it")
	recipe := flag.Bool("recipe", false, "validate the objects of a refresh recipe instead of a Secret")
	flag.Parse()
	manifest, err := io.ReadAll(os.Stdin)
	if err != nil {
		fatal("cannot read the manifest: %v", err)
	}
	if *recipe {
		checkRecipe(manifest)
		return
	}
	secret := decode(manifest)
	if secret.Namespace == "" {
		secret.Namespace = *namespace
	}
	validate(secret)
	hosts := checkPayload(secret)
	fmt.Printf("secret name=%s namespace=%s type=%s hosts=%s\n", secret.Name, secret.Namespace, secret.Type, strings.Join(hosts, ","))

	keyring, err := secrets.MakeDockerKeyring([]v1.Secret{*secret}, &credentialprovider.BasicDockerKeyring{})
	if err != nil {
		fatal("the kubelet cannot read the Secret: %v", err)
	}
	for _, image := range flag.Args() {
		username, password := "-", "-"
		if found, ok := keyring.Lookup(image); ok && len(found) > 0 {
			username, password = found[0].Username, digest(found[0].Password)
		}
		fmt.Printf("image=%s username=%s password=%s\n", image, username, password)
	}
}

// decodeStrict reads one object as the API server does, strictly, with its defaults applied.
func decodeStrict(manifest []byte) (runtime.Object, *schema.GroupVersionKind) {
	codecs := serializer.NewCodecFactory(legacyscheme.Scheme, serializer.EnableStrict)
	object, gvk, err := codecs.UniversalDeserializer().Decode(manifest, nil, nil)
	if err != nil {
		fatal("the API server's strict decoding refuses the manifest: %v", err)
	}
	legacyscheme.Scheme.Default(object)
	return object, gvk
}

// decode reads the manifest as the API server does, strictly, into a v1 Secret with its defaults.
func decode(manifest []byte) *v1.Secret {
	object, gvk := decodeStrict(manifest)
	secret, ok := object.(*v1.Secret)
	if !ok {
		fatal("the manifest is a %s, not a v1 Secret", gvk)
	}
	return secret
}

// validate runs the API server's validation of a Secret on its internal form.
func validate(secret *v1.Secret) {
	var internal core.Secret
	if err := legacyscheme.Scheme.Convert(secret, &internal, nil); err != nil {
		fatal("cannot convert the Secret to the internal type: %v", err)
	}
	if errs := validation.ValidateSecret(&internal); len(errs) > 0 {
		fatal("the API server's validation refuses the Secret: %v", errs.ToAggregate())
	}
}

// checkPayload reads .dockerconfigjson as the kubelet's credentialprovider.DockerConfigJSON and
// checks that each entry's `auth` is base64 of its username:password; returns the hosts.
func checkPayload(secret *v1.Secret) []string {
	if secret.Type != v1.SecretTypeDockerConfigJson {
		fatal("the Secret's type is %q, not %q", secret.Type, v1.SecretTypeDockerConfigJson)
	}
	payload := secret.Data[v1.DockerConfigJsonKey]
	var config credentialprovider.DockerConfigJSON
	if err := json.Unmarshal(payload, &config); err != nil {
		fatal("credentialprovider.DockerConfigJSON cannot read .dockerconfigjson: %v", err)
	}
	var raw struct {
		Auths map[string]struct{ Username, Password, Auth string } `json:"auths"`
	}
	decoder := json.NewDecoder(bytes.NewReader(payload))
	decoder.DisallowUnknownFields()
	if err := decoder.Decode(&raw); err != nil {
		fatal(".dockerconfigjson has more than auths with username, password and auth: %v", err)
	}
	hosts := make([]string, 0, len(config.Auths))
	for host, entry := range config.Auths {
		plain, err := base64.StdEncoding.DecodeString(raw.Auths[host].Auth)
		if err != nil || string(plain) != raw.Auths[host].Username+":"+raw.Auths[host].Password {
			fatal("the auth of %s is not base64 of its username:password", host)
		}
		if entry.Username != raw.Auths[host].Username || entry.Password != raw.Auths[host].Password {
			fatal("the kubelet reads another username or password for %s than the entry states", host)
		}
		hosts = append(hosts, host)
	}
	if len(hosts) == 0 {
		fatal(".dockerconfigjson has no auths")
	}
	sort.Strings(hosts)
	return hosts
}

func digest(password string) string {
	sum := sha256.Sum256([]byte(password))
	return fmt.Sprintf("sha256:%x", sum)
}

func fatal(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "secretcheck: "+format+"\n", args...)
	os.Exit(1)
}
