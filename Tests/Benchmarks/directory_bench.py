"""The ldap plugin against a slapd with many people (bench.py --only directory): how long the first
sync takes (the plugin logs it), and how fast send_togroup answers for a directory group of everyone."""

import os
import re
import shutil
import subprocess
import tempfile

SUFFIX = "dc=bench,dc=test"
SERVICE = ("cn=swiftlet,ou=service," + SUFFIX, "bench-secret")


def ldif(people, groups):
    entries = [
        f"dn: {SUFFIX}\nobjectClass: dcObject\nobjectClass: organization\no: Bench\ndc: bench\n",
        f"dn: ou=people,{SUFFIX}\nobjectClass: organizationalUnit\nou: people\n",
        f"dn: ou=groups,{SUFFIX}\nobjectClass: organizationalUnit\nou: groups\n",
        f"dn: ou=service,{SUFFIX}\nobjectClass: organizationalUnit\nou: service\n",
        f"dn: {SERVICE[0]}\nobjectClass: person\ncn: swiftlet\nsn: service\nuserPassword: {SERVICE[1]}\n",
    ]
    for n in range(people):
        entries.append(
            f"dn: uid=p{n},ou=people,{SUFFIX}\nobjectClass: inetOrgPerson\nuid: p{n}\ncn: Person {n}\nsn: P\n"
            f"mobile: +4672{n:07d}\nmail: p{n}@bench.test\n"
        )
    members = lambda numbers: "".join(f"member: uid=p{n},ou=people,{SUFFIX}\n" for n in numbers)
    entries.append(f"dn: cn=everyone,ou=groups,{SUFFIX}\nobjectClass: groupOfNames\ncn: everyone\n{members(range(people))}")
    size = max(1, people // groups)
    for g in range(groups):
        entries.append(
            f"dn: cn=team{g},ou=groups,{SUFFIX}\nobjectClass: groupOfNames\ncn: team{g}\n"
            f"{members(range(g * size, min(people, (g + 1) * size)))}"
        )
    return "\n".join(entries)


def directory(args, swiftlet_class, free_port, wait_for, people=5_000, groups=50):
    """A first sync of `people` people in `groups` teams plus one group of everyone, paged by 500."""
    folder = tempfile.mkdtemp(prefix="swiftlet-bench-slapd-")
    port = free_port()
    os.makedirs(folder + "/db")
    with open(folder + "/slapd.conf", "w") as file:
        file.write(
            "\n".join(
                [
                    *(f"include /etc/ldap/schema/{s}.schema" for s in ("core", "cosine", "inetorgperson", "nis")),
                    "modulepath /usr/lib/ldap",
                    "moduleload back_mdb",
                    f"pidfile {folder}/slapd.pid",
                    "database mdb",
                    f'suffix "{SUFFIX}"',
                    f"directory {folder}/db",
                    "maxsize 1073741824",
                    "index cn,uid,member eq",
                    f'limits dn.exact="{SERVICE[0]}" size.soft=1000 size.hard=1000 size.pr=1000 size.prtotal=unlimited',
                    f'access to * by dn.exact="{SERVICE[0]}" read by anonymous auth by * none',
                ]
            )
            + "\n"
        )
    with open(folder + "/data.ldif", "w") as file:
        file.write(ldif(people, groups))
    subprocess.run(["slapadd", "-q", "-f", folder + "/slapd.conf", "-l", folder + "/data.ldif"], check=True)
    slapd = subprocess.Popen(["slapd", "-f", folder + "/slapd.conf", "-h", f"ldap://127.0.0.1:{port}/", "-d", "0"],
                             stderr=subprocess.DEVNULL)
    instance = None
    try:
        wait_for(lambda: subprocess.run(["ldapsearch", "-x", "-H", f"ldap://127.0.0.1:{port}", "-b", "", "-s", "base"],
                                        capture_output=True).returncode == 0, 30, "slapd")
        extra = "\n".join([
            "plugins:",
            "  ldap:",
            f"    url: ldap://127.0.0.1:{port}",
            "    tls: none",
            "    allow_plaintext: true",
            f"    bind_dn: {SERVICE[0]}",
            f"    bind_password: {SERVICE[1]}",
            f"    base_dn: {SUFFIX}",
            "    page_size: 500",
        ])
        instance = swiftlet_class(args.swiftlet, args.plugins, modems=1, send_delay="3s", extra=extra)
        line = re.compile(r"directory synced \(start\) in ([0-9.]+) s")
        found = wait_for(lambda: line.search(instance.log_text()), 300, "the first directory sync")
        synced = float(found.group(1))
        answered, queued = instance.timed_group_send("everyone", people)
        return {"sync": synced, "answered": answered, "queued": queued, "people": people}
    finally:
        if instance:
            instance.stop()
        slapd.kill()
        slapd.wait()
        shutil.rmtree(folder, ignore_errors=True)
