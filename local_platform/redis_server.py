"""Real Redis servers, a real Sentinel group and a real Redis Cluster.

The session fixtures ``redis_server``, ``redis_sentinel`` and
``redis_cluster`` (``tests/harness``) wrap the context managers
``run_redis``, ``run_sentinel_group`` and ``run_redis_cluster``, which a test
can also use directly when it needs an instance of its own (for instance to
kill a master without disturbing the shared group).
"""

import contextlib
import subprocess

import redis
import redis.cluster
import redis.sentinel
from redis.crc import key_slot

from .errors import ServerFailed
from .process import (
    HOST,
    RestartableServer,
    free_port,
    require_binary,
    running,
    wait_until,
)

START_TIMEOUT = 15

# Written for every server; ``logfile ""`` sends the output to the process log
# that ServerProcess keeps, so a failure shows the server's own words.
BASE_CONFIG = """\
port {port}
bind {host}
dir {dir}
logfile ""
daemonize no
protected-mode no
"""

# Nothing is persisted: the data only has to live as long as the process, and
# writing snapshots would slow the tests down. A master sends its data to a new
# replica at once instead of waiting five seconds for more replicas to join.
SERVER_CONFIG = """\
save ""
appendonly no
repl-diskless-sync-delay 0
"""

# Short delays so that a failover test takes seconds rather than minutes. The
# failover timeout also bounds the wait before a failed election is retried.
# A sentinel pings each server once a second: a down-after of two seconds
# takes two missed answers, where with one a late answer is enough (the
# first ping to a new master comes a second after the failover).
SENTINEL_DOWN_AFTER = 2.0
SENTINEL_CONFIG = f"""\
sentinel resolve-hostnames no
sentinel monitor {{name}} {{host}} {{master_port}} 2
sentinel down-after-milliseconds {{name}} {SENTINEL_DOWN_AFTER * 1000:.0f}
sentinel failover-timeout {{name}} 3000
sentinel parallel-syncs {{name}} 1
"""

# Each node keeps the cluster's layout in its own directory, and listens for
# the other nodes on a port picked as its own (the default, its port + 10000,
# may be past 65535). A node that does not answer for a second is failing, so
# that a failover takes seconds rather than the default fifteen.
CLUSTER_NODE_CONFIG = """\
cluster-enabled yes
cluster-config-file nodes.conf
cluster-port {bus_port}
cluster-node-timeout 1000
"""


class RedisProcess(RestartableServer):
    """A redis-server (or a sentinel) that can be stopped and started again.

    It keeps its port across restarts, so that clients configured once see the
    outage and the recovery, as with a real server restart. With a
    ``password``, it refuses clients that do not give it (its own clients do).
    """

    def __init__(self, base_dir, name, config, sentinel=False, password=None):
        self.name = name
        self.password = password
        if password:
            config += f"requirepass {password}\n"
        self.host = HOST
        self.port = free_port()
        self.dir = base_dir / name
        # Kept between runs by `make run`, whose Redis persists its sessions.
        self.dir.mkdir(exist_ok=True)
        self.config_path = self.dir / f"{name}.conf"
        # Written once: a sentinel rewrites its own file with what it learns,
        # and a restarted sentinel must read that back, not the first version.
        self.config_path.write_text(
            BASE_CONFIG.format(host=HOST, port=self.port, dir=self.dir) + config
        )
        self.log_path = self.dir / f"{name}.log"
        self.args = [require_binary("redis-server"), self.config_path]
        if sentinel:
            self.args.append("--sentinel")

    @property
    def address(self):
        return (self.host, self.port)

    @property
    def url(self):
        return f"redis://{self.host}:{self.port}/0"

    def client(self, **kwargs):
        """A new redis-py client; short timeouts so that an outage fails fast."""
        kwargs.setdefault("socket_timeout", 5)
        kwargs.setdefault("socket_connect_timeout", 2)
        kwargs.setdefault("password", self.password)
        return redis.Redis(host=self.host, port=self.port, **kwargs)

    def counting_client(self):
        """A client, and the list it appends to at each request it sends (a
        whole pipeline is one): its round trips, counted."""
        sent = []

        class CountingConnection(redis.Connection):
            def send_packed_command(self, command, check_health=True):
                sent.append(command)
                super().send_packed_command(command, check_health)

        pool = redis.ConnectionPool(
            host=self.host, port=self.port, connection_class=CountingConnection
        )
        return redis.Redis(connection_pool=pool), sent

    def ping(self):
        with contextlib.suppress(redis.RedisError), self.client() as client:
            return client.ping()
        return False

    answers = ping

    def command(self):
        return self.args

    def info(self, section):
        with self.client() as client:
            return client.info(section)


class RedisServer(RedisProcess):
    """A standalone redis-server; with a ``password``, a replica gives it to
    its master too."""

    def __init__(self, base_dir, name="redis", config="", password=None):
        if password:
            config += f"masterauth {password}\n"
        super().__init__(base_dir, name, SERVER_CONFIG + config, password=password)

    replica_of = None

    def command(self):
        if self.replica_of is None:
            return self.args
        host, port = self.replica_of
        return [*self.args, "--replicaof", host, str(port)]

    def flushall(self):
        """Forget every key, so that a test starts from an empty server."""
        with self.client() as client:
            client.flushall()


def run_redis(base_dir, name="redis", config=""):
    """A started RedisServer under ``base_dir``, stopped on exit."""
    return running(RedisServer(base_dir, name, config))


class SentinelGroup:
    """One master, one replica and three sentinels watching them (quorum 2).

    ``master`` and ``replica`` name the processes started in those roles; after
    a failover the roles are swapped but the handles are not. ``password`` is
    required by the master and the replica, ``sentinel_password`` by the
    sentinels.
    """

    master_name = "odoo-cloud"

    def __init__(self, base_dir, password=None, sentinel_password=None):
        self.password = password
        self.sentinel_password = sentinel_password
        self.master = RedisServer(base_dir, "master", password=password)
        self.replica = RedisServer(
            base_dir,
            "replica",
            f"replicaof {HOST} {self.master.port}\n",
            password=password,
        )
        sentinel_config = SENTINEL_CONFIG.format(
            name=self.master_name, host=HOST, master_port=self.master.port
        )
        if password:
            sentinel_config += f"sentinel auth-pass {self.master_name} {password}\n"
        self.sentinel_processes = [
            RedisProcess(
                base_dir,
                f"sentinel{index}",
                sentinel_config,
                sentinel=True,
                password=sentinel_password,
            )
            for index in range(3)
        ]

    @property
    def sentinels(self):
        """The (host, port) list that redis.sentinel.Sentinel expects."""
        return [sentinel.address for sentinel in self.sentinel_processes]

    def sentinel_client(self, **kwargs):
        """A new redis.sentinel.Sentinel over the three sentinels."""
        kwargs.setdefault("socket_timeout", 2)
        kwargs.setdefault("password", self.password)
        sentinel_kwargs = {
            "socket_timeout": kwargs["socket_timeout"],
            "password": self.sentinel_password,
        }
        return redis.sentinel.Sentinel(
            self.sentinels, sentinel_kwargs=sentinel_kwargs, **kwargs
        )

    def start(self):
        self.master.start()
        self.replica.start()
        # Sentinels learn the replicas from the master's INFO, which they only
        # ask for every ten seconds: starting them once the replica is linked
        # lets the first INFO list it.
        wait_until(
            self.replica_is_linked,
            START_TIMEOUT,
            "the replica to sync",
            self.replica.process,
        )
        for sentinel in self.sentinel_processes:
            sentinel.start()
        for sentinel in self.sentinel_processes:
            wait_until(
                lambda sentinel=sentinel: self.sentinel_sees_group(sentinel),
                START_TIMEOUT,
                f"{sentinel.name} to see the master, the replica and two sentinels",
                sentinel.process,
            )
        return self

    def stop(self):
        # Sentinels first, so that stopping the master triggers no failover.
        for process in [*self.sentinel_processes, self.replica, self.master]:
            process.stop()

    def replica_is_linked(self):
        with contextlib.suppress(redis.RedisError):
            return self.replica.info("replication").get("master_link_status") == "up"
        return False

    def sentinel_sees_group(self, sentinel):
        with contextlib.suppress(redis.RedisError), sentinel.client() as client:
            master = client.sentinel_master(self.master_name)
            replicas = client.sentinel_slaves(self.master_name)
            return (
                master["port"] == self.master.port
                and master["num-other-sentinels"] == 2
                and [replica["port"] for replica in replicas] == [self.replica.port]
            )
        return False

    def master_addresses(self):
        """The master address each running sentinel reports, None if it fails."""
        addresses = []
        for sentinel in self.sentinel_processes:
            if not sentinel.is_running():
                continue
            with sentinel.client(decode_responses=True) as client:
                try:
                    address = client.sentinel_get_master_addr_by_name(self.master_name)
                except redis.RedisError:
                    address = None
            addresses.append(address and (address[0], int(address[1])))
        return addresses

    def current_master(self):
        """The master address the running sentinels agree on, or None."""
        addresses = set(self.master_addresses())
        return addresses.pop() if len(addresses) == 1 else None

    def wait_for_failover(self, old_address, timeout=30):
        """Wait until every running sentinel names a master other than
        ``old_address``, and return that new (host, port)."""
        result = []

        def promoted():
            address = self.current_master()
            if address not in (None, tuple(old_address)):
                result.append(address)
                return True
            return False

        wait_until(promoted, timeout, f"a failover away from {old_address}")
        return result[0]

    def rejoin(self, server):
        """Start ``server``, killed, again as a replica of the master the
        sentinels name, as a node's start script in a deployment does: a node
        that keeps nothing on disk must never come back as a master, or a
        second failover may promote it and empty every replica in turn."""
        server.replica_of = self.current_master()
        server.start()

    def server_at(self, address):
        """The RedisServer (master or replica handle) listening at ``address``."""
        return next(
            server
            for server in (self.master, self.replica)
            if server.address == tuple(address)
        )


def run_sentinel_group(base_dir, password=None, sentinel_password=None):
    """A started SentinelGroup under ``base_dir``, stopped on exit."""
    return running(SentinelGroup(base_dir, password, sentinel_password))


class RedisCluster:
    """Three masters and a replica of each, created by ``redis-cli --cluster
    create``.

    ``nodes`` are the six servers; which of them are masters changes with a
    failover, so ask ``masters()`` and ``replica_of()`` rather than keep the
    roles of the start. ``config`` is added to every node's configuration.
    """

    size = 3

    def __init__(self, base_dir, config=""):
        self.nodes = [
            RedisServer(
                base_dir,
                f"node{index}",
                CLUSTER_NODE_CONFIG.format(bus_port=free_port()) + config,
            )
            for index in range(2 * self.size)
        ]

    def start(self):
        for node in self.nodes:
            node.start()
        addresses = [f"{node.host}:{node.port}" for node in self.nodes]
        command = [require_binary("redis-cli"), "--cluster", "create", *addresses]
        command += ["--cluster-replicas", "1", "--cluster-yes"]
        created = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=START_TIMEOUT * 4,
            check=False,
        )
        if created.returncode:
            raise ServerFailed(
                f"redis-cli --cluster create failed:\n{created.stdout}{created.stderr}"
            )
        self.wait_until_healthy()
        return self

    def stop(self):
        for node in self.nodes:
            node.stop()

    def running_nodes(self):
        return [node for node in self.nodes if node.is_running()]

    def client(self, **kwargs):
        """A new redis-py cluster client, whose first node is a running one."""
        kwargs.setdefault("socket_timeout", 5)
        kwargs.setdefault("socket_connect_timeout", 2)
        node = self.running_nodes()[0]
        return redis.cluster.RedisCluster(host=node.host, port=node.port, **kwargs)

    def masters(self):
        """The running nodes that are masters, by their own account."""
        return [node for node in self.running_nodes() if role(node) == "master"]

    def replica_of(self, master):
        """The running node that replicates ``master``, or None."""
        return next(
            (
                node
                for node in self.running_nodes()
                if role(node) == "slave"
                and node.info("replication")["master_port"] == master.port
            ),
            None,
        )

    def serving(self, key):
        """The running master that holds ``key`` (a str), by its own account."""
        slot = key_slot(key.encode())
        return next(master for master in self.masters() if slot in served_slots(master))

    def is_ok(self):
        """Every running node says ``cluster_state:ok``."""
        with contextlib.suppress(redis.RedisError):
            for node in self.running_nodes():
                with node.client() as client:
                    if client.cluster("INFO")["cluster_state"] != "ok":
                        return False
            return True
        return False

    def is_healthy(self):
        """The cluster is ok, and each of its three masters has a replica
        whose link is up."""
        with contextlib.suppress(redis.RedisError):
            if not self.is_ok():
                return False
            masters = self.masters()
            replicas = [self.replica_of(master) for master in masters]
            return len(masters) == self.size and all(
                replica is not None
                and replica.info("replication")["master_link_status"] == "up"
                for replica in replicas
            )
        return False

    def wait_until_healthy(self, timeout=START_TIMEOUT * 2):
        wait_until(self.is_healthy, timeout, "the Redis Cluster to be ok")

    def wait_until_replicated(self, timeout=10):
        """Wait until every replica has received all its master has written,
        so that killing a master loses nothing."""
        for master in self.masters():
            written = master.info("replication")["master_repl_offset"]
            replica = self.replica_of(master)
            wait_until(
                lambda replica=replica, written=written: (
                    replica.info("replication")["slave_repl_offset"] >= written
                ),
                timeout,
                f"{replica.name} to receive what {master.name} wrote",
            )

    def wait_for_promotion(self, replica, timeout=30):
        """Wait until ``replica`` is a master and the cluster is ok again."""
        wait_until(
            lambda: role(replica) == "master" and self.is_ok(),
            timeout,
            f"{replica.name} to take over its failed master",
        )

    def restart(self, node):
        """Start a stopped or killed ``node`` again and wait until it has
        rejoined the cluster (a former master comes back as a replica)."""
        node.start()
        self.wait_until_healthy()


def role(node):
    """The role ``node`` gives itself, "master" or "slave"; None when it does
    not answer."""
    with contextlib.suppress(redis.RedisError):
        return node.info("replication")["role"]
    return None


def served_slots(node):
    """The slots ``node`` serves, by its own account."""
    with node.client() as client:
        described = client.cluster("NODES").values()
    myself = next(line for line in described if "myself" in line["flags"])
    return {
        slot
        for span in myself["slots"]
        for slot in range(int(span[0]), int(span[-1]) + 1)
    }


def run_redis_cluster(base_dir, config=""):
    """A started RedisCluster under ``base_dir``, stopped on exit."""
    return running(RedisCluster(base_dir, config))
