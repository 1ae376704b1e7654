#!/usr/bin/env bash
# Replication test bed for tests/cluster/*: servers of its own, on ports of its own, in a directory of its own,
# never the shared 5432/3306 servers.
#   scripts/cluster.sh start   PostgreSQL primary + hot standby (streaming), PgBouncer (transaction mode) in front
#                              of the primary, MariaDB primary + asynchronous replica, a 3-node MariaDB Galera cluster
#   scripts/cluster.sh stop    stops all of them and removes the directory
#   scripts/cluster.sh env     the QUARRY_CLUSTER_* variables the tests read
# Single pieces, for the tests that stop, kill and promote servers: pg-stop|pg-start|pg-promote NAME (primary, standby), pg-reset,
# my-stop|my-start NAME (primary, replica, galera1..3).
set -euo pipefail

ROOT=${QUARRY_CLUSTER_DIR:-/tmp/quarry-cluster}
PG_BIN=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)}
# Every port lies below the kernel's ephemeral range (32768-60999 here): a port in it can be taken, at any moment,
# by the local end of some outgoing connection (one Galera node's to another, a donor's rsync), and a server that
# cannot listen on its port then dies. A Galera node did so once in CI.
PG_PRIMARY_PORT=25432
PG_STANDBY_PORT=25433
PGBOUNCER_PORT=26432
MY_PRIMARY_PORT=23306
MY_REPLICA_PORT=23307
GALERA_PORTS=(23311 23312 23313)
# Per Galera node: group communication, incremental state transfer, full state transfer (rsync).
GALERA_GCOMM=(24567 24577 24587)
GALERA_IST=(24568 24578 24588)
GALERA_SST=(24569 24579 24589)

as_postgres() { runuser -u postgres -- "$@"; }

wait_for() { # what, command [, pid of the server it waits for: fails at once if that exits]; up to 90 s
  for _ in $(seq 1 180); do
    if eval "$2" >/dev/null 2>&1; then return 0; fi
    if [ -n "${3:-}" ] && ! kill -0 "$3" 2>/dev/null; then
      echo "cluster: $1 exited while starting" >&2
      return 1
    fi
    sleep 0.5
  done
  echo "cluster: $1 did not come up" >&2
  return 1
}

# ---------------------------------------------------------------- PostgreSQL

pg_port() { [ "$1" = primary ] && echo $PG_PRIMARY_PORT || echo $PG_STANDBY_PORT; }

pg_start() { # name
  local dir=$ROOT/pg/$1 port
  port=$(pg_port "$1")
  as_postgres "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/log" -w -t 60 \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1" start >/dev/null
}

pg_stop() { # name [mode]
  local dir=$ROOT/pg/$1
  [ -f "$dir/data/postmaster.pid" ] || return 0
  as_postgres "$PG_BIN/pg_ctl" -D "$dir/data" -m "${2:-fast}" -w -t 60 stop >/dev/null || true
}

pg_setup() {
  mkdir -p "$ROOT/pg/primary" "$ROOT/pg/standby"
  chown -R postgres:postgres "$ROOT/pg"
  as_postgres "$PG_BIN/initdb" -D "$ROOT/pg/primary/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
  cat >>"$ROOT/pg/primary/data/postgresql.conf" <<EOF
wal_level = replica
max_wal_senders = 5
wal_keep_size = 256MB
hot_standby = on
hot_standby_feedback = on
fsync = off
synchronous_commit = on
full_page_writes = off
EOF
  pg_start primary
  as_postgres "$PG_BIN/psql" -q -h 127.0.0.1 -p $PG_PRIMARY_PORT -U postgres -c "CREATE DATABASE test" >/dev/null
  # -R writes standby.signal and primary_conninfo: a hot standby streaming from the primary.
  as_postgres "$PG_BIN/pg_basebackup" -h 127.0.0.1 -p $PG_PRIMARY_PORT -U postgres -D "$ROOT/pg/standby/data" -R -X stream -c fast
  pg_start standby
  wait_for "PostgreSQL standby" "as_postgres $PG_BIN/psql -h 127.0.0.1 -p $PG_STANDBY_PORT -U postgres -d test -tAc 'SELECT pg_is_in_recovery()' | grep -q t"
}

pgbouncer_setup() {
  local dir=$ROOT/pgbouncer
  mkdir -p "$dir"
  cat >"$dir/pgbouncer.ini" <<EOF
[databases]
* = host=127.0.0.1 port=$PG_PRIMARY_PORT
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $PGBOUNCER_PORT
unix_socket_dir =
auth_type = trust
auth_file = $dir/users.txt
pool_mode = transaction
max_client_conn = 400
default_pool_size = 20
ignore_startup_parameters = extra_float_digits
logfile = $dir/log
pidfile = $dir/pid
EOF
  echo '"postgres" ""' >"$dir/users.txt"
  chown -R postgres:postgres "$dir"
  as_postgres pgbouncer -d "$dir/pgbouncer.ini"
  wait_for PgBouncer "as_postgres $PG_BIN/psql -h 127.0.0.1 -p $PGBOUNCER_PORT -U postgres -d test -tAc 'SELECT 1'"
}

# ---------------------------------------------------------------- MariaDB

my_port() {
  case $1 in
    primary) echo $MY_PRIMARY_PORT ;;
    replica) echo $MY_REPLICA_PORT ;;
    galera*) echo "${GALERA_PORTS[$((${1#galera} - 1))]}" ;;
  esac
}

my_client() { # name, args...
  local name=$1
  shift
  mariadb --protocol=socket -S "$ROOT/my/$name/sock" -u root "$@"
}

my_start() { # name [extra mariadbd options]
  local name=$1 log=$ROOT/my/$1/error.log attempt logged
  shift
  # A Galera node receives the cluster's state as it joins, through the rsync state-transfer script, and aborts if
  # the transfer fails; joining again is what an operator would do, so a node gets three tries.
  for attempt in 1 2 3; do
    logged=$( (wc -l <"$log") 2>/dev/null || echo 0)
    my_launch "$name" "$@" && return 0
    echo "cluster: the errors MariaDB $name logged (try $attempt):" >&2
    tail -n +$((logged + 1)) "$log" | grep -E '\[ERROR\]' >&2 || true
    [[ $name == galera* ]] || return 1
    # What the failed transfer left running (its rsync daemon) would hold the node's ports.
    pkill -f -- "$ROOT/my/$name/" 2>/dev/null || true
    sleep 5
  done
  return 1
}

my_launch() { # name [extra mariadbd options]
  local name=$1 dir=$ROOT/my/$1 pid
  shift
  # setsid: the server outlives this script, in a session of its own.
  setsid /usr/sbin/mariadbd --defaults-file="$dir/my.cnf" "$@" >>"$dir/log" 2>&1 </dev/null &
  pid=$!
  echo $pid >"$dir/pid"
  wait_for "MariaDB $name" "mariadb-admin --protocol=socket -S $dir/sock -u root ping" "$pid" && return 0
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$dir/pid"
  return 1
}

my_stop() { # name [signal]: SIGTERM shuts down cleanly, SIGKILL is a crash
  local dir=$ROOT/my/$1 pid
  [ -f "$dir/pid" ] || return 0
  pid=$(cat "$dir/pid")
  kill "-${2:-TERM}" "$pid" 2>/dev/null || true
  for _ in $(seq 1 120); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  rm -f "$dir/pid"
}

my_config() { # name, extra lines
  local dir=$ROOT/my/$1
  mkdir -p "$dir/data"
  cat >"$dir/my.cnf" <<EOF
[mariadbd]
user = mysql
datadir = $dir/data
socket = $dir/sock
port = $(my_port "$1")
bind-address = 127.0.0.1
pid-file = $dir/mariadbd.pid
log-error = $dir/error.log
skip-name-resolve
innodb_buffer_pool_size = 64M
innodb_log_file_size = 48M
innodb_flush_log_at_trx_commit = 2
performance_schema = OFF
character-set-server = utf8mb4
$2
EOF
  chown -R mysql:mysql "$dir"
  mariadb-install-db --defaults-file="$dir/my.cnf" --auth-root-authentication-method=normal >"$dir/install.log" 2>&1
}

my_root_over_tcp() { # name: root without a password from 127.0.0.1, as the tests connect
  my_client "$1" -e "CREATE USER IF NOT EXISTS 'root'@'127.0.0.1'; GRANT ALL ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION; CREATE DATABASE IF NOT EXISTS test;"
}

my_replication_setup() {
  my_config primary "server_id = 1
log_bin = $ROOT/my/primary/binlog
binlog_format = ROW"
  my_config replica "server_id = 2
read_only = ON
relay_log = $ROOT/my/replica/relay"
  my_start primary
  my_root_over_tcp primary
  my_start replica
  my_root_over_tcp replica
  # Both start from the same empty state (freshly installed, root made the same way): replicate from here on.
  local gtid
  gtid=$(my_client primary -N -e "SELECT @@gtid_binlog_pos")
  my_client replica -e "SET GLOBAL gtid_slave_pos = '$gtid'; CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=$MY_PRIMARY_PORT, MASTER_USER='root', MASTER_PASSWORD='', MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1; START SLAVE;"
  wait_for "MariaDB replica" "my_client replica -e 'SHOW SLAVE STATUS\\G' | grep -q 'Slave_SQL_Running: Yes'"
}

galera_setup() {
  local members="" index
  for index in 0 1 2; do members+="${members:+,}127.0.0.1:${GALERA_GCOMM[$index]}"; done
  for index in 0 1 2; do
    local name=galera$((index + 1))
    my_config "$name" "binlog_format = ROW
default_storage_engine = InnoDB
innodb_autoinc_lock_mode = 2
wsrep_on = ON
wsrep_provider = /usr/lib/galera/libgalera_smm.so
wsrep_cluster_name = quarry
wsrep_cluster_address = gcomm://$members
wsrep_node_name = $name
wsrep_node_address = 127.0.0.1:${GALERA_GCOMM[$index]}
wsrep_provider_options = \"gmcast.listen_addr=tcp://127.0.0.1:${GALERA_GCOMM[$index]};ist.recv_addr=127.0.0.1:${GALERA_IST[$index]};gcache.size=64M\"
wsrep_sst_method = rsync
wsrep_sst_receive_address = 127.0.0.1:${GALERA_SST[$index]}"
  done
  # The nodes start from one state rather than copy it over at their first join (an SST): the first node
  # bootstraps the cluster and shuts down cleanly, its files become the other two, and all three join with the
  # same position, so nothing needs transferring.
  my_start galera1 --wsrep-new-cluster
  my_root_over_tcp galera1
  my_stop galera1
  for name in galera2 galera3; do
    rm -rf "$ROOT/my/$name/data"
    cp -a "$ROOT/my/galera1/data" "$ROOT/my/$name/data"
    rm -f "$ROOT/my/$name/data/gvwstate.dat"
  done
  my_start galera1 --wsrep-new-cluster
  for name in galera2 galera3; do
    my_start "$name"
    wait_for "Galera $name synced" "my_client $name -N -e \"SHOW STATUS LIKE 'wsrep_local_state_comment'\" | grep -q Synced"
  done
  wait_for "Galera cluster of 3" "my_client galera1 -N -e \"SHOW STATUS LIKE 'wsrep_cluster_size'\" | grep -q 3"
}

# ---------------------------------------------------------------- commands

print_env() {
  echo "QUARRY_CLUSTER_PG_PRIMARY=postgresql://postgres@127.0.0.1:$PG_PRIMARY_PORT/test"
  echo "QUARRY_CLUSTER_PG_STANDBY=postgresql://postgres@127.0.0.1:$PG_STANDBY_PORT/test"
  echo "QUARRY_CLUSTER_PGBOUNCER=postgresql://postgres@127.0.0.1:$PGBOUNCER_PORT/test"
  echo "QUARRY_CLUSTER_MY_PRIMARY=mysql://root@127.0.0.1:$MY_PRIMARY_PORT/test"
  echo "QUARRY_CLUSTER_MY_REPLICA=mysql://root@127.0.0.1:$MY_REPLICA_PORT/test"
  echo "QUARRY_CLUSTER_GALERA=mysql://root@127.0.0.1:${GALERA_PORTS[0]}/test,mysql://root@127.0.0.1:${GALERA_PORTS[1]}/test,mysql://root@127.0.0.1:${GALERA_PORTS[2]}/test"
  echo "QUARRY_CLUSTER_SCRIPT=$(cd "$(dirname "$0")" && pwd)/cluster.sh"
}

stop_all() {
  [ -d "$ROOT" ] || return 0
  [ -f "$ROOT/pgbouncer/pid" ] && kill "$(cat "$ROOT/pgbouncer/pid")" 2>/dev/null || true
  for name in galera3 galera2 galera1 replica primary; do my_stop "$name"; done
  pg_stop standby immediate
  pg_stop primary immediate
  rm -rf "$ROOT"
}

case ${1:-} in
  start)
    stop_all
    mkdir -p "$ROOT"
    chmod 755 "$ROOT"
    started=$SECONDS
    pg_setup
    pgbouncer_setup
    my_replication_setup
    galera_setup
    echo "cluster: up in $((SECONDS - started)) s under $ROOT" >&2
    print_env
    ;;
  stop) stop_all ;;
  env) print_env ;;
  pg-start) pg_start "$2" ;;
  pg-stop) pg_stop "$2" "${3:-fast}" ;;
  pg-reset) # a fresh primary and standby, as after start (after a failover test promoted the standby)
    pg_stop standby immediate
    pg_stop primary immediate
    rm -rf "$ROOT/pg"
    pg_setup
    ;;
  pg-promote) as_postgres "$PG_BIN/pg_ctl" -D "$ROOT/pg/$2/data" -w promote >/dev/null ;;
  my-start) name=$2; shift 2; my_start "$name" "$@" ;;
  my-stop) my_stop "$2" "${3:-TERM}" ;;
  *)
    echo "usage: $0 start|stop|env|pg-start NAME|pg-stop NAME [MODE]|pg-promote NAME|my-start NAME|my-stop NAME [SIGNAL]" >&2
    exit 2
    ;;
esac
