#!/usr/bin/env bash
# CI's package step (as root): build the .deb, check it with dpkg-deb and systemd-analyze,
# install it with dpkg -i, then from the installed files: --version, init, doctor, and a
# short start as the courier-gw user on a read-only root with only the data folder
# writable, telling a datagram socket READY=1 and WATCHDOG=1 as systemd's would hear them.
set -euo pipefail
cd "$(dirname "$0")/.."
fail() { echo "ci: package: $*" >&2; exit 1; }

deb=$(bash packaging/build-deb.sh | tail -n 1)
echo "ci: package: built $deb"
info=$(dpkg-deb --info "$deb")
for field in 'Package: courier-gw' 'Depends: nodejs (>= 20)'; do grep -qF "$field" <<<"$info" || fail "control lacks '$field'"; done
contents=$(dpkg-deb --contents "$deb")
for f in ./usr/bin/courier-gw ./usr/lib/courier-gw/dist/cli/courier-gw.js ./lib/systemd/system/courier-gw.service \
  ./lib/udev/rules.d/60-courier-gw.rules ./etc/courier-gw/gateway.yaml ./usr/lib/courier-gw/rules/sets/pickup/ruleset.json; do
  grep -qF " $f" <<<"$contents" || fail "$f is not in the package"
done
if grep -qE '/node_modules/(vitest|typescript|playwright-core)/' <<<"$contents"; then fail 'development packages in the package'; fi
dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./conffiles | grep -qx /etc/courier-gw/gateway.yaml || fail 'the config is not a conffile'

dpkg -i --force-confdef --force-confold "$deb" >/dev/null
systemd-analyze verify /lib/systemd/system/courier-gw.service
echo "ci: package: installed; systemd-analyze verify ok"
[ "$(courier-gw --version)" = "$(node -p 'require("./package.json").version')" ] || fail 'courier-gw --version'
id -nG courier-gw | grep -qw dialout || fail 'courier-gw is not in dialout'

# init writes a config that start accepts; doctor checks the machine against it
work=/var/lib/courier-gw
mqtt=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
http=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
CG_OP_PW=ci-operator courier-gw init -o "$work/ci.yaml" --force --gateway-id ci-van --kit ci-van --data-dir "$work" \
  --mqtt-device terminal-1=terminal --operator tech --operator-password-env CG_OP_PW --host 127.0.0.1 --mqtt-port "$mqtt" --http-port "$http" >/dev/null
chown courier-gw:courier-gw "$work/ci.yaml"
set +e
doctor=$(courier-gw doctor -c "$work/ci.yaml" --user courier-gw)
doctor_rc=$?
set -e
echo "$doctor" | sed 's/^/ci: doctor: /'
grep -q "^ok    data folder: $work is writable and on disk" <<<"$doctor" || fail 'doctor: data folder'
grep -q "^ok    ports: MQTT port $mqtt is free" <<<"$doctor" || fail 'doctor: ports'
grep -qE '^(ok  |warn)  clock: ' <<<"$doctor" || fail 'doctor: clock'
tail -n 1 <<<"$doctor" | grep -qE '^doctor: ' || fail 'doctor: summary line'
[ "$doctor_rc" = 0 ] || fail "doctor exit $doctor_rc"

notify=$(mktemp -d)
socat -u UNIX-RECV:"$notify/notify" OPEN:"$notify/heard",creat,append &
socat_pid=$!
chown -R courier-gw "$notify"
sleep 0.5
chmod 777 "$notify/notify"
unshare -m sh -c "mount --bind $work $work && mount -o remount,bind,ro / && mount --bind $notify $notify && \
  exec runuser -u courier-gw -- env NOTIFY_SOCKET=$notify/notify WATCHDOG_USEC=1000000 timeout -s TERM 8 courier-gw start -c $work/ci.yaml" >"$notify/log" 2>&1 || true
kill "$socat_pid" 2>/dev/null || true
grep -q '"msg":"gateway started"' "$notify/log" || { cat "$notify/log"; fail 'the installed gateway did not start on a read-only root'; }
grep -q 'READY=1' "$notify/heard" || fail 'no READY=1 on NOTIFY_SOCKET'
[ "$(grep -o WATCHDOG=1 "$notify/heard" | wc -l)" -ge 3 ] || fail 'the watchdog was not fed'
grep -q 'STOPPING=1' "$notify/heard" || fail 'no STOPPING=1 on NOTIFY_SOCKET'
rm -rf "$notify" "$work/ci.yaml"
echo "ci: package: the installed gateway started read-only, READY=1, watchdog fed, stopped"
