#!/usr/bin/env python3
"""Parsing and evaluating Terraform code: a generated corpus of FILES .tf files, shaped like
real module code (a root module calling MODULES local modules, nested one more level;
`for_each` over maps, `count`, `dynamic` blocks, heredocs, templates, `for` expressions,
conditionals, provider-defined functions), read by the release
`driftd check --tf ROOT --provider none --no-builtin-policies` (parse and evaluate
everything) and by python-hcl2 (parse only, PyPI `python-hcl2`, in the test venv).
Records files per second of each in docs/performance.md.
    python3 bench/tf_corpus.py 300
Targets: driftd >= 100x python-hcl2's files/s; every file python-hcl2 parses, driftd parses
too; no crash and no exit other than 0, 1 or 2 on any file.
"""
import os, shutil, subprocess, sys, time

FILES = int(sys.argv[1]) if len(sys.argv) > 1 else 300
OUT = os.path.abspath("bench/out/tf")
ROOT = os.path.join(OUT, "corpus")
VENV = os.path.abspath("target/tmp/pyvenv")
PER_MODULE = 10  # files per module: see module()


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def module(d, i, nested):
    """One module of PER_MODULE files."""
    write(f"{d}/variables.tf", f'''variable "name" {{
  type    = string
  default = "pool-{i}"
}}

variable "nodes" {{
  type = map(object({{ size = string, count = number, spot = bool }}))
  default = {{
    a = {{ size = "p5.48xlarge", count = 2, spot = false }}
    b = {{ size = "g6e.12xlarge", count = {i % 4 + 1}, spot = true }}
    c = {{ size = "g5.2xlarge", count = 1, spot = {str(i % 2 == 0).lower()} }}
  }}
}}

variable "tags" {{
  type    = map(string)
  default = {{ team = "ml", cost-center = "cc-{i % 9}" }}
}}
''')
    write(f"{d}/locals.tf", f'''locals {{
  prefix = "${{var.name}}-{i}"
  spot   = {{ for k, n in var.nodes : k => n if n.spot }}
  sizes  = distinct_sizes
  flat   = flatten([for k, n in var.nodes : [for j in range(n.count) : "${{k}}-${{j}}"]])
  labels = merge(var.tags, {{ module = "m{i}", prefix = upper(var.name) }})
}}
'''.replace("distinct_sizes", "toset([for n in values(var.nodes) : n.size])"))
    write(f"{d}/nodes.tf", f'''resource "aws_instance" "node" {{
  for_each      = var.nodes
  ami           = data.aws_ami.dlami.id
  instance_type = each.value.size
  subnet_id     = element(aws_subnet.private[*].id, 0)
  tags          = merge(local.labels, {{ Name = format("%s-%s", local.prefix, each.key) }})

  metadata_options {{
    http_tokens                 = "required"
    http_put_response_hop_limit = each.value.spot ? 2 : 1
  }}

  dynamic "ebs_block_device" {{
    for_each = each.value.count > 1 ? range(each.value.count) : []
    content {{
      device_name = "/dev/sd${{["f", "g", "h", "i"][ebs_block_device.value]}}"
      volume_size = 100 * (ebs_block_device.value + 1)
      encrypted   = true
    }}
  }}
}}
''')
    write(f"{d}/network.tf", f'''resource "aws_subnet" "private" {{
  count             = 3
  vpc_id            = var.vpc_id
  cidr_block        = cidrsubnet("10.{i % 250}.0.0/16", 4, count.index)
  availability_zone = element(["us-east-1a", "us-east-1b", "us-east-1c"], count.index)
  tags              = {{ Name = "${{local.prefix}}-private-${{count.index}}" }}
}}

variable "vpc_id" {{
  default = "vpc-0123456789abcdef0"
}}
''')
    write(f"{d}/security.tf", f'''resource "aws_security_group" "nodes" {{
  name   = "${{local.prefix}}-nodes"
  vpc_id = var.vpc_id

  dynamic "ingress" {{
    for_each = {{ nccl = [0, 65535], ssh = [22, 22], metrics = [9100, 9100] }}
    iterator = rule
    content {{
      description = rule.key
      from_port   = rule.value[0]
      to_port     = rule.value[1]
      protocol    = "tcp"
      cidr_blocks = ["10.0.0.0/8"]
    }}
  }}

  egress {{
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }}
}}
''')
    write(f"{d}/templates.tf", f'''locals {{
  user_data = <<-EOT
    #!/bin/bash
    echo "${{local.prefix}}" > /etc/node-pool
    %{{ for k, n in var.nodes ~}}
    echo "${{k}}=${{n.size}}" >> /etc/node-sizes
    %{{ endfor ~}}
  EOT
  policy = jsonencode({{
    Version   = "2012-10-17"
    Statement = [{{ Effect = "Allow", Action = ["s3:GetObject"], Resource = "arn:aws:s3:::models-{i}/*" }}]
  }})
}}

resource "aws_launch_template" "nodes" {{
  name_prefix   = "${{local.prefix}}-"
  image_id      = data.aws_ami.dlami.id
  instance_type = try(var.nodes["a"].size, "g5.xlarge")
  user_data     = base64encode(local.user_data)
}}
''')
    write(f"{d}/data.tf", '''data "aws_ami" "dlami" {
  most_recent = true
  owners      = ["amazon"]

  filter {
    name   = "name"
    values = ["Deep Learning AMI GPU PyTorch*"]
  }
}
''')
    write(f"{d}/iam.tf", f'''resource "aws_iam_role" "node" {{
  name               = "${{local.prefix}}-node"
  assume_role_policy = local.policy
  tags               = local.labels
}}

resource "aws_iam_instance_profile" "node" {{
  name = aws_iam_role.node.name
  role = aws_iam_role.node.name
}}
''')
    write(f"{d}/functions.tf", f'''locals {{
  # Provider-defined functions (Terraform 1.8+): unknown to driftd, never an error.
  arn_parts = provider::aws::arn_parse("arn:aws:iam::123456789012:role/m{i}")
  joined    = join(",", sort_keys)
  limits    = {{ max = max(1, 2, {i}), min = min(3, {i % 5}) }}
  lookups   = lookup(var.tags, "team", "unknown")
}}
'''.replace("sort_keys", "keys(var.nodes)"))
    outputs = '''output "node_ids" {
  value = { for k, n in aws_instance.node : k => n.id }
}

output "prefix" {
  value = local.prefix
}
'''
    if nested:
        outputs += f'''
module "inner" {{
  source = "./inner"
  name   = "${{var.name}}-inner"
}}
'''
    write(f"{d}/outputs.tf", outputs)


def generate():
    shutil.rmtree(ROOT, ignore_errors=True)
    modules = max(1, -(-(FILES - 1) // (PER_MODULE * 2)))
    calls = []
    for i in range(modules):
        module(f"{ROOT}/modules/m{i}", i, nested=True)
        module(f"{ROOT}/modules/m{i}/inner", i + 1000, nested=False)
        calls.append(f'module "m{i}" {{\n  source = "./modules/m{i}"\n  name   = "pool-{i}"\n}}\n')
    write(f"{ROOT}/main.tf", "\n".join(calls))
    files = [os.path.join(dp, f) for dp, _, fs in os.walk(ROOT) for f in fs if f.endswith(".tf")]
    return sorted(files)


files = generate()
subprocess.run(["cargo", "build", "--release", "-q", "-p", "driftd", "--bin", "driftd"], check=True)
if not os.path.exists(f"{VENV}/bin/python"):
    subprocess.run([sys.executable, "-m", "venv", VENV], check=True)
subprocess.run([f"{VENV}/bin/python", "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "python-hcl2"], check=True)

# python-hcl2: parse each file, best of 3 passes.
probe = f'''
import hcl2, sys, time, json
files = sys.argv[1:]
best, ok = None, []
for _ in range(3):
    t0 = time.perf_counter()
    ok = []
    for f in files:
        try:
            with open(f) as fh:
                hcl2.load(fh)
            ok.append(f)
        except Exception:
            pass
    t = time.perf_counter() - t0
    best = t if best is None else min(best, t)
print(json.dumps({{"seconds": best, "parsed": ok}}))
'''
import json
p = subprocess.run([f"{VENV}/bin/python", "-c", probe] + files, capture_output=True, text=True, check=True)
py = json.loads(p.stdout)
version = subprocess.run([f"{VENV}/bin/python", "-m", "pip", "show", "python-hcl2"], capture_output=True, text=True).stdout
version = next((l.split(": ")[1] for l in version.splitlines() if l.startswith("Version")), "?")

# driftd: the whole corpus in one run (parse and evaluate), best of 5.
driftd = os.path.abspath("target/release/driftd")
best = None
for _ in range(5):
    t0 = time.perf_counter()
    r = subprocess.run([driftd, "check", "--tf", ROOT, "--provider", "none", "--no-builtin-policies", "--format", "json"],
                       capture_output=True, text=True)
    t = time.perf_counter() - t0
    assert r.returncode == 0, r.stderr
    best = t if best is None else min(best, t)
report = json.loads(r.stdout)
declared = report["sources"]["declared"][0]["resources"]

# Every file python-hcl2 parses, driftd parses too; no crash or odd exit on any file alone.
exits = {}
not_parsed = []
for f in files:
    d = os.path.join(OUT, "single")
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    shutil.copy(f, os.path.join(d, "main.tf"))
    r = subprocess.run([driftd, "check", "--tf", d, "--provider", "none", "--no-builtin-policies"], capture_output=True, text=True)
    exits[r.returncode] = exits.get(r.returncode, 0) + 1
    if "HCL syntax error" in r.stderr or "HCL:" in r.stderr:
        not_parsed.append(f)
missed = [f for f in py["parsed"] if f in not_parsed]
n = len(files)
py_rate = len(py["parsed"]) / py["seconds"] if py["seconds"] else float("inf")
d_rate = n / best
ratio = d_rate / py_rate
odd = {k: v for k, v in exits.items() if k not in (0, 1, 2)}
section = f"""## Terraform code: {n} .tf files, parse and evaluate

Command: `python3 bench/tf_corpus.py {FILES}` (release build, {os.cpu_count()} cores, {time.strftime('%Y-%m-%d')}). A generated
corpus (`bench/out/tf/corpus`): a root module calling {n // (PER_MODULE * 2)} local modules, each calling one more, {PER_MODULE}
files per module with `for_each` over maps of objects, `count`, `dynamic` blocks (with `iterator`), heredoc templates
with `for` directives, `for` expressions, conditionals, `try`, `jsonencode`, `cidrsubnet` and provider-defined functions.
driftd reads all of it in one `driftd check --tf ROOT --provider none --no-builtin-policies` (parse, evaluate every
module instance, {declared} resource instances; best of 5). python-hcl2 {version} parses each file (`hcl2.load`, best of 3),
no evaluation.

| reader | files | seconds | files/s |
|---|---:|---:|---:|
| driftd (parse + evaluate) | {n} | {best:.3f} | {d_rate:.0f} |
| python-hcl2 (parse only) | {len(py['parsed'])} parsed of {n} | {py['seconds']:.3f} | {py_rate:.0f} |

- speed: driftd / python-hcl2 = **{ratio:.0f}x** (target >= 100x): **{'met' if ratio >= 100 else 'missed'}**
- files python-hcl2 parses that driftd does not: **{len(missed)}** (target 0): **{'met' if not missed else 'missed'}**{''.join(chr(10) + '  - ' + m for m in missed[:10])}
- each file alone as a module: exit codes {dict(sorted(exits.items()))}; other than 0, 1, 2: **{sum(odd.values())}** (target 0): **{'met' if not odd else 'missed'}**
  (exit 2 for a file alone is a variable or module it uses that another file of its module declares)
"""
write(f"{OUT}/section.md", section)
subprocess.run([sys.executable, "bench/update_perf_doc.py", f"{OUT}/section.md", "## Terraform code:"], check=True)
print(section)
