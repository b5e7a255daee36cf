#!/usr/bin/env python3
"""Azure scan at fleet scale: N GPU VMs spread over S subscriptions (plus a scale set and
an AKS cluster per subscription), served by a local ARM server and token endpoint (this
script, on loopback) with ARM-shaped payloads and `nextLink` paging. Runs the release
`driftd snapshot --provider azure` and records ARM calls (counted by the server), wall
time, CPU time and peak memory (GNU time, of driftd alone) in
docs/performance.md.
    python3 bench/azure_scan.py 5000 3 [PAGE_SIZE]
Targets: calls <= S * ceil(resources / page size) + a small constant; CPU < 1 s.
"""
import json, math, os, subprocess, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlparse, parse_qs

N = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
S = int(sys.argv[2]) if len(sys.argv) > 2 else 3
PAGE = int(sys.argv[3]) if len(sys.argv) > 3 else 1000
OUT = "bench/out/azure"
os.makedirs(OUT, exist_ok=True)
SIZES = ["Standard_ND96asr_v4", "Standard_ND96isr_H100_v5", "Standard_NC24ads_A100_v4", "Standard_NV36ads_A10_v5"]


def sub_id(i):
    return "5f1c8a2e-3b4d-4e6f-9a7b-%012x" % i


def vm(sub, i):
    name = f"gpu-{i:05d}"
    rid = f"/subscriptions/{sub}/resourceGroups/ml-gpu-{i % 20}/providers/Microsoft.Compute/virtualMachines/{name}"
    return {"name": name, "id": rid, "type": "Microsoft.Compute/virtualMachines", "location": "eastus",
            "tags": {"team": "ml", "cost-center": f"cc-{i % 7}"}, "zones": [str(1 + i % 3)],
            "properties": {"vmId": "%08x-0000-4000-8000-%012x" % (i, i), "hardwareProfile": {"vmSize": SIZES[i % len(SIZES)]},
                           "storageProfile": {"imageReference": {"publisher": "microsoft-dsvm", "offer": "ubuntu-hpc", "sku": "2204", "version": "latest"},
                                              "osDisk": {"osType": "Linux", "name": f"{name}-os", "createOption": "FromImage", "caching": "ReadWrite",
                                                         "managedDisk": {"storageAccountType": "Premium_LRS"}, "diskSizeGB": 256}, "dataDisks": []},
                           "osProfile": {"computerName": name, "adminUsername": "azureuser",
                                         "linuxConfiguration": {"disablePasswordAuthentication": True, "provisionVMAgent": True}, "secrets": []},
                           "networkProfile": {"networkInterfaces": [{"id": rid.replace("Microsoft.Compute/virtualMachines", "Microsoft.Network/networkInterfaces") + "-nic"}]},
                           "securityProfile": {"encryptionAtHost": True}, "priority": "Regular", "provisioningState": "Succeeded"}}


def scale_set(sub):
    return {"name": "render", "id": f"/subscriptions/{sub}/resourceGroups/ml-gpu/providers/Microsoft.Compute/virtualMachineScaleSets/render",
            "type": "Microsoft.Compute/virtualMachineScaleSets", "location": "eastus", "tags": {},
            "sku": {"name": "Standard_NV36ads_A10_v5", "tier": "Standard", "capacity": 8},
            "properties": {"orchestrationMode": "Uniform", "upgradePolicy": {"mode": "Manual"},
                           "virtualMachineProfile": {"osProfile": {"computerNamePrefix": "r", "adminUsername": "azureuser",
                                                                   "linuxConfiguration": {"disablePasswordAuthentication": True}}}}}


def cluster(sub):
    return {"id": f"/subscriptions/{sub}/resourceGroups/ml-gpu/providers/Microsoft.ContainerService/managedClusters/aks",
            "name": "aks", "location": "eastus", "sku": {"name": "Base", "tier": "Standard"},
            "properties": {"kubernetesVersion": "1.31.2", "nodeResourceGroup": "MC_ml-gpu_aks_eastus",
                           "agentPoolProfiles": [{"name": "system", "count": 3, "vmSize": "Standard_D4s_v5", "mode": "System"},
                                                 {"name": "gpu", "count": 4, "vmSize": "Standard_ND96asr_v4", "mode": "User",
                                                  "enableAutoScaling": True, "minCount": 0, "maxCount": 8}]}}


subs = [sub_id(i + 1) for i in range(S)]
fleet = {s: {"virtualMachines": [], "virtualMachineScaleSets": [scale_set(s)], "managedClusters": [cluster(s)],
             "capacityReservationGroups": []} for s in subs}
for i in range(N):
    fleet[subs[i % S]]["virtualMachines"].append(vm(subs[i % S], i))
calls = {"arm": 0, "token": 0}
lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def send(self, code, body):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        self.rfile.read(int(self.headers.get("content-length", 0)))
        with lock:
            calls["token"] += 1
        self.send(200, {"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": "bench-token"})

    def do_GET(self):
        with lock:
            calls["arm"] += 1
        u = urlparse(self.path)
        q = parse_qs(u.query)
        parts = [p for p in u.path.split("/") if p]
        skip = int(q.get("$skiptoken", ["0"])[0])
        if parts == ["subscriptions"]:
            return self.send(200, {"value": [{"subscriptionId": s, "state": "Enabled"} for s in subs]})
        items = fleet[parts[1]][parts[4]]
        end = min(skip + PAGE, len(items))
        body = {"value": items[skip:end]}
        if end < len(items):
            body["nextLink"] = f"http://{self.headers['host']}{u.path}?api-version={q['api-version'][0]}&%24skiptoken={end}"
        self.send(200, body)


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
threading.Thread(target=server.serve_forever, daemon=True).start()
url = f"http://127.0.0.1:{server.server_address[1]}"

subprocess.run(["cargo", "build", "--release", "-q", "-p", "driftd", "--bin", "driftd"], check=True)
env = dict(os.environ, AZURE_CREDENTIAL_KIND="clientsecret", AZURE_TENANT_ID="t", AZURE_CLIENT_ID="c",
           AZURE_CLIENT_SECRET="bench", AZURE_AUTHORITY_HOST=url, DRIFTD_AZURE_ENDPOINT=url)
runs = []
for _ in range(3):
    calls.update(arm=0, token=0)
    # GNU time measures driftd alone (wall, user, system, peak RSS in KiB).
    p = subprocess.run(["/usr/bin/time", "-f", "%e %U %S %M", "-o", f"{OUT}/time.txt",
                        os.path.abspath("target/release/driftd"), "snapshot", "--provider", "azure",
                        "--output", f"{OUT}/snapshot.json"], env=env, capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    wall, user, system, rss_kib = open(f"{OUT}/time.txt").read().split()[-4:]
    runs.append((float(wall), float(user) + float(system), int(rss_kib) / 1024, calls["arm"], calls["token"]))
snap = json.load(open(f"{OUT}/snapshot.json"))
resources = len(snap["resources"])
reported = sum(s["api_calls"] for s in snap["scans"])
wall, cpu, rss, arm, token = min(runs, key=lambda r: r[0])
per_sub = [len(fleet[s]["virtualMachines"]) for s in subs]
# Lists per subscription: VMs in ceil(n / page) pages, one page of scale sets, one of clusters.
bound = sum(math.ceil(n / PAGE) + 2 for n in per_sub) + 1
target_calls = S * math.ceil(max(per_sub) / PAGE) + 3 * S + 1
section = f"""## Azure scan: {N} VMs over {S} subscriptions

Command: `python3 bench/azure_scan.py {N} {S} {PAGE}` (best of 3 by wall time, release build, {os.cpu_count()} cores,
{time.strftime('%Y-%m-%d')}). A local ARM server and token endpoint in the script serve {N} GPU VMs
({', '.join(SIZES)}) spread evenly over {S} subscriptions, plus a scale set and an AKS cluster
(two pools) per subscription, {PAGE} items per page with `nextLink`; `driftd snapshot --provider azure`
lists every subscription (none named).

| measure | value | target |
|---|---:|---|
| resources in the snapshot | {resources} | |
| ARM calls (counted by the server) | {arm} | <= {target_calls} (subscriptions x ceil(VMs per subscription / page) + 3 per subscription + 1): **{'met' if arm <= target_calls else 'missed'}** |
| ARM calls reported by driftd (`api_calls`) | {reported} | equal to the server's count: **{'met' if reported == arm else 'missed'}** |
| ARM calls vs the expected count | {arm} of {bound} | exactly: **{'met' if arm == bound else 'missed'}** |
| token requests | {token} | |
| wall time | {wall:.2f} s | |
| CPU time (user + system) | {cpu:.2f} s | < 1 s: **{'met' if cpu < 1.0 else 'missed'}** |
| peak RSS | {rss:.1f} MiB | |

Expected calls: per subscription, ceil(VMs / page) VM pages, one page of scale sets and
one of clusters (node pools come inline), and one listing of subscriptions ({bound} in all);
the row above compares the server's count with it exactly.
"""
open(f"{OUT}/section.md", "w").write(section)
subprocess.run([sys.executable, "bench/update_perf_doc.py", f"{OUT}/section.md", "## Azure scan:"], check=True)
print(section)
server.shutdown()
