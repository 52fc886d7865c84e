# Private network namespace for the SFU benchmark (sourced inside `unshare -n` by scripts/bench/sfu.ts).
# Janus (libnice) never gathers on loopback interfaces and pins its sockets to the gathering interface with
# IP_UNICAST_IF, so it gets 127.0.0.2 on a veth end (v0); its replies to 127.0.0.1 leave v0, enter v1 and are
# delivered locally. Kabinet's SFU and the generators use 127.0.0.1 on lo, as before. Nothing in here can reach
# another network: the namespace has no other interface.
set -e
ip link set lo up
ip link add v0 type veth peer name v1
ip addr add 127.0.0.2/32 dev v0
ip link set v0 up
ip link set v1 up
for k in all v0 v1; do
  sysctl -qw net.ipv4.conf.$k.route_localnet=1 net.ipv4.conf.$k.rp_filter=0 net.ipv4.conf.$k.accept_local=1
done
V1MAC=$(ip -o link show v1 | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')
ip neigh replace 127.0.0.1 lladdr "$V1MAC" dev v0 nud permanent
