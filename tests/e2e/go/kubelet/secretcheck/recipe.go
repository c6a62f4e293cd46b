package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/kubernetes/pkg/api/legacyscheme"
	podutil "k8s.io/kubernetes/pkg/api/pod"
	"k8s.io/kubernetes/pkg/apis/batch"
	_ "k8s.io/kubernetes/pkg/apis/batch/install"
	batchvalidation "k8s.io/kubernetes/pkg/apis/batch/validation"
	"k8s.io/kubernetes/pkg/apis/core"
	"k8s.io/kubernetes/pkg/apis/core/validation"
	"k8s.io/kubernetes/pkg/apis/rbac"
	_ "k8s.io/kubernetes/pkg/apis/rbac/install"
	rbacvalidation "k8s.io/kubernetes/pkg/apis/rbac/validation"
)

// checkRecipe validates each object of the YAML stream with its kind's own validation, then checks
// that the objects fit together (see the package comment).
func checkRecipe(stream []byte) {
	var (
		account *core.ServiceAccount
		role    *rbac.Role
		binding *rbac.RoleBinding
		cron    *batch.CronJob
	)
	reader := yaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(stream)))
	for {
		document, err := reader.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			fatal("cannot split the YAML stream: %v", err)
		}
		if len(bytes.TrimSpace(document)) == 0 {
			continue
		}
		external, gvk := decodeStrict(document)
		internal, err := legacyscheme.Scheme.ConvertToVersion(external, runtime.InternalGroupVersioner)
		if err != nil {
			fatal("cannot convert the %s to the internal type: %v", gvk.Kind, err)
		}
		var errs field.ErrorList
		switch object := internal.(type) {
		case *core.ServiceAccount:
			account, errs = object, validation.ValidateServiceAccount(object)
		case *rbac.Role:
			role, errs = object, rbacvalidation.ValidateRole(object)
		case *rbac.RoleBinding:
			binding, errs = object, rbacvalidation.ValidateRoleBinding(object)
		case *batch.CronJob:
			options := podutil.GetValidationOptionsFromPodTemplate(&object.Spec.JobTemplate.Spec.Template, nil)
			cron, errs = object, batchvalidation.ValidateCronJobCreate(object, options)
		default:
			fatal("the recipe holds a %s, which this check does not know", gvk.Kind)
		}
		if len(errs) > 0 {
			fatal("the API server's validation refuses the %s: %v", gvk.Kind, errs.ToAggregate())
		}
		fmt.Printf("valid kind=%s name=%s\n", gvk.Kind, external.(interface{ GetName() string }).GetName())
	}
	if account == nil || role == nil || binding == nil || cron == nil {
		fatal("the recipe needs a ServiceAccount, a Role, a RoleBinding and a CronJob")
	}
	command := cronCommand(cron)
	secret := optionValue(command, "--kubernetes-secret")
	if !roleAllows(role, secret, "get", "patch", "update") {
		fatal("the Role does not allow get, patch and update on the Secret %q", secret)
	}
	if !roleAllows(role, "", "create") {
		fatal("the Role does not allow create on secrets (RBAC cannot limit create to one name)")
	}
	if cron.Spec.JobTemplate.Spec.Template.Spec.ServiceAccountName != account.Name ||
		binding.RoleRef.Kind != "Role" || binding.RoleRef.Name != role.Name ||
		!slices.ContainsFunc(binding.Subjects, func(s rbac.Subject) bool {
			return s.Kind == "ServiceAccount" && s.Name == account.Name && s.Namespace == account.Namespace
		}) {
		fatal("the RoleBinding does not give the Role to the CronJob's ServiceAccount")
	}
	fmt.Printf("fits secret=%s namespace=%s serviceAccount=%s schedule=%q\n", secret, role.Namespace, account.Name, cron.Spec.Schedule)
	fmt.Printf("command %s\n", command)
}

// cronCommand is the shell command line of the CronJob's one container (`sh -c COMMAND`).
func cronCommand(cron *batch.CronJob) string {
	containers := cron.Spec.JobTemplate.Spec.Template.Spec.Containers
	if len(containers) != 1 {
		fatal("the CronJob should have one container, not %d", len(containers))
	}
	line := strings.Join(append(slices.Clone(containers[0].Command), containers[0].Args...), " ")
	shell, command, ok := strings.Cut(line, " -c ")
	if !ok || !strings.HasSuffix(shell, "sh") {
		fatal("the CronJob's container does not run sh -c COMMAND: %s", line)
	}
	return command
}

// optionValue is the word after option in the command line.
func optionValue(command, option string) string {
	words := strings.Fields(command)
	at := slices.Index(words, option)
	if at < 0 || at+1 >= len(words) {
		fatal("the CronJob's command has no %s NAME: %s", option, command)
	}
	return words[at+1]
}

// roleAllows reports whether one rule of role grants every verb on core secrets, limited to the
// Secret name when name is set, or unlimited when it is not.
func roleAllows(role *rbac.Role, name string, verbs ...string) bool {
	for _, rule := range role.Rules {
		core := slices.Contains(rule.APIGroups, "") && slices.Contains(rule.Resources, "secrets")
		named := (name == "" && len(rule.ResourceNames) == 0) || (name != "" && slices.Contains(rule.ResourceNames, name))
		all := true
		for _, verb := range verbs {
			all = all && slices.Contains(rule.Verbs, verb)
		}
		if core && named && all {
			return true
		}
	}
	return false
}
