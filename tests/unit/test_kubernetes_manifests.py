"""deploy/kubernetes against Kubernetes' schemas and against the code.

What the manifests name (probe paths, ports, variables) must be what the
suite serves and reads: a renamed variable or endpoint fails here rather than
in a cluster.
"""

import functools
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from odoo_cloud import config, platform
from odoo_cloud.metrics.http import request_kind
from odoo_cloud.metrics.probes import Probes

MANIFESTS = Path(__file__).parents[2] / "deploy" / "kubernetes"
KUBERNETES_VERSION = "1.30"
# Not kinds of Kubernetes itself: kustomize's and the Prometheus Operator's.
OTHER_KINDS = {"Kustomization", "ServiceMonitor"}
# Applied apart from the kustomization (see kustomization.yaml).
APPLIED_APART = {"job-install.yaml", "servicemonitor.yaml"}
# PostgreSQL's variables, name -> secret: the image's entrypoint writes them
# into Odoo's configuration file as db_host, db_port, db_user, db_password and
# db_name, which every series reads (Odoo 19.0 also reads them itself).
ODOO_VARIABLES = {
    "PGHOST": False,
    "PGPORT": False,
    "PGUSER": False,
    "PGPASSWORD": True,
    "PGDATABASE": False,
}
# The HTTP and gevent ports the image serves, Odoo's defaults.
ODOO_HTTP_PORT = 8069
ODOO_GEVENT_PORT = 8072


@functools.cache
def resources():
    """File name -> the one resource it holds."""
    by_file = {}
    for path in sorted(MANIFESTS.glob("*.yaml")):
        (by_file[path.name],) = yaml.safe_load_all(path.read_text())
    return by_file


def of_kind(kind):
    (resource,) = (r for r in resources().values() if r["kind"] == kind)
    return resource


def containers():
    return [
        container
        for kind in ("Deployment", "Job")
        for container in of_kind(kind)["spec"]["template"]["spec"]["containers"]
    ]


def secret_data():
    return of_kind("Secret")["stringData"]


def environment():
    """Every variable the manifests set, with its value."""
    env = {**of_kind("ConfigMap")["data"], **secret_data()}
    for container in containers():
        env.update((item["name"], item["value"]) for item in container.get("env", ()))
    return env


def suite_variables():
    """The names the suite reads, old names included, -> secret."""
    return {name: v.secret for v in config.catalogue() for name in v.names}


def deployment_container():
    (container,) = of_kind("Deployment")["spec"]["template"]["spec"]["containers"]
    return container


def container_port(name):
    (port,) = (p for p in deployment_container()["ports"] if p["name"] == name)
    return port["containerPort"]


def service_target(port_name):
    """The container port name a Service port (by name) sends to."""
    (port,) = (p for p in of_kind("Service")["spec"]["ports"] if p["name"] == port_name)
    return port["targetPort"]


def suite_probes():
    return Probes(sink=None, access=None, readiness_checks=None, timeout=None)


@pytest.mark.parametrize(
    "name", [name for name, r in resources().items() if r["kind"] not in OTHER_KINDS]
)
def test_each_manifest_validates_against_the_kubernetes_schemas(name):
    kubernetes_validate.validate(resources()[name], KUBERNETES_VERSION, strict=True)


def test_the_kustomization_lists_every_manifest_not_applied_apart():
    listed = set(of_kind("Kustomization")["resources"])
    assert listed == set(resources()) - APPLIED_APART - {"kustomization.yaml"}


def test_every_variable_is_one_the_suite_or_odoo_reads():
    known = {**suite_variables(), **ODOO_VARIABLES}
    assert set(environment()) - set(known) == set()


def test_every_container_keeps_the_entrypoint_and_gets_the_variables():
    """The image's entrypoint writes Odoo's configuration from the variables
    and runs `odoo-cloud check`: a command would replace it."""
    for container in containers():
        assert "command" not in container, container["name"]
        assert container["envFrom"] == [
            {"configMapRef": {"name": of_kind("ConfigMap")["metadata"]["name"]}},
            {"secretRef": {"name": of_kind("Secret")["metadata"]["name"]}},
        ]


def test_secrets_are_in_the_secret_and_only_there():
    secrets = {
        name
        for name, secret in {**suite_variables(), **ODOO_VARIABLES}.items()
        if secret
    }
    in_secret = set(secret_data())
    assert set(environment()) & secrets == in_secret
    assert set(of_kind("ConfigMap")["data"]) & secrets == set()
    for container in containers():
        assert {item["name"] for item in container.get("env", ())} & secrets == set()


def test_the_settings_pass_odoo_cloud_check():
    settings, errors = config.parse(environment())
    assert errors == []
    assert settings.running_env == "prod"
    assert platform.violations(settings, settings.running_env) == []


def test_the_probes_are_the_endpoints_the_suite_serves_on_its_port():
    probes = suite_probes()
    container = deployment_container()
    served = {
        "startupProbe": probes.live,
        "livenessProbe": probes.live,
        "readinessProbe": probes.ready,
    }
    for probe, endpoint in served.items():
        request = container[probe]["httpGet"]
        assert probes.endpoints[request["path"]] == endpoint, probe
        assert request["port"] == "metrics", probe
    settings, _ = config.parse(environment())
    assert container_port("metrics") == settings["ODOO_PROMETHEUS_PORT"]


def test_prometheus_scrapes_metrics_with_the_token():
    probes = suite_probes()
    annotations = of_kind("Deployment")["spec"]["template"]["metadata"]["annotations"]
    assert probes.endpoints[annotations["prometheus.io/path"]] == probes.metrics
    assert int(annotations["prometheus.io/port"]) == container_port("metrics")
    (endpoint,) = of_kind("ServiceMonitor")["spec"]["endpoints"]
    assert probes.endpoints[endpoint["path"]] == probes.metrics
    assert service_target(endpoint["port"]) == "metrics"
    credentials = endpoint["authorization"]["credentials"]
    assert credentials["name"] == of_kind("Secret")["metadata"]["name"]
    assert credentials["key"] == "ODOO_PROMETHEUS_TOKEN"
    assert credentials["key"] in secret_data()


def test_the_ingress_sends_the_websocket_to_the_gevent_port():
    assert container_port("http") == ODOO_HTTP_PORT
    assert container_port("websocket") == ODOO_GEVENT_PORT
    (rule,) = of_kind("Ingress")["spec"]["rules"]
    routes = {
        path["path"]: service_target(path["backend"]["service"]["port"]["name"])
        for path in rule["http"]["paths"]
    }
    assert routes == {"/websocket": "websocket", "/": "http"}
    assert request_kind({"PATH_INFO": "/websocket"}) == "websocket"
    backends = {path["backend"]["service"]["name"] for path in rule["http"]["paths"]}
    assert backends == {of_kind("Service")["metadata"]["name"]}


def test_the_selectors_pick_the_instances_not_the_install_job():
    instances = of_kind("Deployment")["spec"]["template"]["metadata"]["labels"]
    install = of_kind("Job")["spec"]["template"]["metadata"]["labels"]
    selectors = [
        of_kind("Deployment")["spec"]["selector"]["matchLabels"],
        of_kind("Service")["spec"]["selector"],
        of_kind("PodDisruptionBudget")["spec"]["selector"]["matchLabels"],
    ]
    for selector in selectors:
        assert selector.items() <= instances.items()
        assert not selector.items() <= install.items()
    scraped = of_kind("ServiceMonitor")["spec"]["selector"]["matchLabels"]
    assert scraped.items() <= of_kind("Service")["metadata"]["labels"].items()
