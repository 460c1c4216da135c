#!/usr/bin/env bash
# `npm run package`: the Debian package of the gateway, from this checkout, without network:
# the compiled gateway and its production node_modules under /usr/lib/courier-gw, the
# courier-gw command, the systemd unit, the udev rules (made from cli/device-names.ts),
# the config in /etc/courier-gw (a conffile: kept on upgrade). Prints the .deb's path.
set -euo pipefail
cd "$(dirname "$0")/.."
version=$(node -p 'require("./package.json").version')
arch=$(dpkg --print-architecture)
out=${PACKAGE_OUT:-packaging/out}
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
chmod 755 "$stage"

npm run -s build >&2
lib=$stage/usr/lib/courier-gw
mkdir -p "$lib/rules" "$lib/simulators" "$stage/usr/bin" "$stage/lib/systemd/system" "$stage/lib/udev/rules.d" \
  "$stage/etc/courier-gw" "$stage/usr/share/doc/courier-gw" "$stage/DEBIAN" "$out"
cp -a dist package.json package-lock.json node_modules "$lib/"
cp -a rules/sets "$lib/rules/"
cp -a simulators/scenarios "$lib/simulators/"
# the production dependencies only: npm prune removes, it fetches nothing
(cd "$lib" && npm prune --omit=dev --offline --no-audit --no-fund --ignore-scripts >/dev/null)
rm -f "$lib/package-lock.json"
chmod 755 "$lib/dist/cli/courier-gw.js"
ln -s ../lib/courier-gw/dist/cli/courier-gw.js "$stage/usr/bin/courier-gw"

install -m 644 packaging/courier-gw.service "$stage/lib/systemd/system/courier-gw.service"
node --input-type=module -e "const m = await import('./dist/cli/device-names.js'); process.stdout.write(m.udevRules())" > "$stage/lib/udev/rules.d/60-courier-gw.rules"
install -m 640 packaging/gateway.yaml "$stage/etc/courier-gw/gateway.yaml"
install -m 644 README.md docs/*.md "$stage/usr/share/doc/courier-gw/"
install -m 755 packaging/debian/postinst packaging/debian/prerm packaging/debian/postrm "$stage/DEBIAN/"
install -m 644 packaging/debian/conffiles "$stage/DEBIAN/conffiles"

size=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)
cat > "$stage/DEBIAN/control" <<CONTROL
Package: courier-gw
Version: ${version}
Architecture: ${arch}
Maintainer: courier-gateway maintainers <courier-gw@localhost>
Installed-Size: ${size}
Depends: nodejs (>= 20), adduser, libusb-1.0-0, udev
Recommends: socat, chrony | systemd-timesyncd
Suggests: bluez, mosquitto-clients
Section: net
Priority: optional
Homepage: file:///usr/share/doc/courier-gw/README.md
Description: edge IoT gateway for parcel couriers
 Bridges barcode scanners, USB/BLE scales, GPS units and smart parcel lockers
 onto one MQTT bus, validates every weigh-and-scan with a rules engine, keeps
 every record durably while offline and syncs to the dispatch service.
 Runs as the courier-gw service (systemd, Type=notify, watchdog).
CONTROL
deb="$out/courier-gw_${version}_${arch}.deb"
dpkg-deb --root-owner-group -Zgzip --build "$stage" "$deb" >&2
echo "$deb"
