"""The demo hospital's CMDB grown to the size of a 1,500-bed hospital (over 1,000
configuration items) and wired into the dependency chains that impact analysis walks:
workstations use the clinical applications, which run on virtual machines and physical
servers, which are hosted on the storage arrays and connected to the data-centre switches,
up to the core; the databases run on their servers and are backed up to the DR room.

Everything is written in bulk (a few queries for thousands of rows, no audit: the demo is
a fixture, not a history) and only what is missing is added, so loading twice changes
nothing. Every relationship is checked against `itsm.cmdb.relationships.ALLOWED`, and the
families that must not loop are written in layers (a source always sits on a higher layer
than its target), so they cannot loop by construction; `load_cmdb` refuses otherwise."""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator

from django.db.models import Q
from django.utils import timezone

from itsm.accounts.models import Department, SupportGroup, Vendor
from itsm.cmdb.attributes import ClassTree
from itsm.cmdb.choices import RelationshipType
from itsm.cmdb.models import ConfigurationItem, Contract, Relationship, Service
from itsm.cmdb.relationships import ACYCLIC_FAMILIES, is_allowed
from itsm.demo.catalogue import (
    CLINICS,
    CRIT,
    DR_ROOM,
    HIGH,
    LOW,
    MACHINE_ROOM,
    MED,
    WARDS,
    Item,
    K,
    create_items,
)
from itsm.demo.locations import BUILDINGS, place_text

T = RelationshipType
DESK, NET, SYS, APPS, DBA = "桌面运维组", "网络组", "系统组", "应用组", "数据库二线"

# Buildings: (code, name, floors, department that owns the floor's wiring closet).
# Buildings whose floors are busy enough for a second stacked access switch.
STACKED = {"OPD", "IPA", "IPB"}
ACCESS_POINTS_PER_FLOOR = 4
_FLOOR = re.compile(r"^(%s)(\d+)层" % "|".join(name for _, name, _, _ in BUILDINGS))
_BUILDING_CODE = {name: code for code, name, _, _ in BUILDINGS}

# Virtualisation hosts: 1-12 in the machine room on the core SAN, 13-16 in the DR room.
HOSTS = 16
DR_HOSTS = range(13, HOSTS + 1)


def _host(n: int) -> str:
    return "SRV-VMH-%02d" % n


# Servers that are physical machines (hosted on an array and cabled to the switches);
# every other server is a virtual machine on one of the hosts.
PHYSICAL = {
    *(_host(n) for n in range(1, HOSTS + 1)),
    "SRV-HIS-DB01",
    "SRV-HIS-DB02",
    "SRV-HIS-DG01",
    "SRV-EMR-DB01",
    "SRV-EMR-DB02",
    "SRV-PACS-APP01",
    "SRV-PACS-APP02",
    "SRV-PACS-APP03",
    "SRV-PACS-DB01",
    "SRV-LIS-DB01",
    "SRV-LIS-DB02",
    "SRV-RIS-DB01",
    "SRV-YB-01",
    "SRV-YB-02",
    "SRV-BAK-01",
}
# Which array a physical server's disks live on (default: the core SAN in its room).
ARRAY_OF = {
    "SRV-PACS-APP01": "STO-PACS-01",
    "SRV-PACS-APP02": "STO-PACS-01",
    "SRV-PACS-APP03": "STO-PACS-01",
    "SRV-BAK-01": "STO-DR-01",
}
# Virtual machines in the DR room run on the DR hosts.
DR_VMS = {"SRV-AD-02"}


def _server(
    code: str, name: str, crit: int, services: tuple[str, ...], *, dr: bool = False
) -> Item:
    owner = DBA if "-DB" in code else SYS
    return Item(code, name, K.SERVER, crit, DR_ROOM if dr else MACHINE_ROOM, "IT", owner, services)


def _data_centre() -> list[Item]:
    """Storage, hosts, virtual machines, databases and applications beyond catalogue.py's."""
    items = [
        Item(
            "STO-SAN-02",
            "灾备SAN存储（同步复制）",
            K.STORAGE,
            CRIT,
            DR_ROOM,
            "IT",
            SYS,
            ("HIS", "EMR"),
        ),
        Item("STO-DR-01", "备份存储（备份一体机）", K.STORAGE, HIGH, DR_ROOM, "IT", SYS, ()),
        Item("STO-TAPE-01", "磁带库（离线备份）", K.STORAGE, MED, DR_ROOM, "IT", SYS, ()),
        Item("STO-NAS-01", "NAS文件存储", K.STORAGE, MED, MACHINE_ROOM, "IT", SYS, ("OFFICE",)),
    ]
    items += [
        _server(
            _host(n),
            "虚拟化宿主机%02d（VMware ESXi）" % n,
            CRIT,
            (),
            dr=n in DR_HOSTS,
        )
        for n in range(1, HOSTS + 1)
    ]
    items += [
        *(
            _server("SRV-HIS-APP%02d" % n, "HIS应用服务器%02d" % n, CRIT, ("HIS",))
            for n in range(5, 9)
        ),
        _server("SRV-HIS-WEB01", "HIS Web服务器01", CRIT, ("HIS",)),
        _server("SRV-HIS-WEB02", "HIS Web服务器02", CRIT, ("HIS",)),
        _server("SRV-HIS-RPT01", "HIS统计报表服务器", MED, ("HIS",)),
        _server("SRV-EMR-APP03", "EMR应用服务器03", CRIT, ("EMR",)),
        _server("SRV-EMR-APP04", "EMR应用服务器04", CRIT, ("EMR",)),
        _server("SRV-EMR-QC01", "病历质控服务器", MED, ("EMR",)),
        _server("SRV-EMR-DB02", "EMR数据库服务器（备）", CRIT, ("EMR",)),
        _server("SRV-PACS-APP03", "PACS应用服务器03", HIGH, ("PACS",)),
        _server("SRV-PACS-WEB01", "PACS Web影像调阅服务器", HIGH, ("PACS",)),
        _server("SRV-PACS-GW01", "DICOM网关服务器", HIGH, ("PACS", "RIS")),
        _server("SRV-LIS-APP02", "LIS应用服务器02", HIGH, ("LIS",)),
        _server("SRV-LIS-INT01", "LIS仪器接口服务器", HIGH, ("LIS",)),
        _server("SRV-LIS-DB02", "LIS数据库服务器（备）", HIGH, ("LIS",)),
        _server("SRV-RIS-APP02", "RIS应用服务器02", HIGH, ("RIS",)),
        _server("SRV-RIS-DB01", "RIS数据库服务器", HIGH, ("RIS",)),
        _server("SRV-ESB-02", "集成平台服务器02", CRIT, ("HIS", "EMR", "LIS", "PACS", "RIS")),
        _server("SRV-KSK-02", "自助服务平台服务器02", MED, ("KIOSK",)),
        _server("SRV-MAIL-01", "邮件服务器", MED, ("OFFICE",)),
        _server("SRV-AV-01", "终端防病毒服务器", MED, ("OFFICE",)),
        _server("SRV-DNS-01", "DNS/DHCP服务器01", HIGH, ("OFFICE",)),
        _server("SRV-DNS-02", "DNS/DHCP服务器02", HIGH, ("OFFICE",)),
        _server("SRV-MON-01", "运维监控服务器", MED, ("OFFICE",)),
    ]
    databases = (
        ("DB-HIS-DG", "HIS Oracle 灾备库（Data Guard）", HIGH, ("HIS",), DR_ROOM),
        ("DB-HIS-RPT", "HIS 统计报表库", MED, ("HIS",), MACHINE_ROOM),
        ("DB-ESB", "集成平台 SQL Server 数据库", CRIT, ("HIS", "LIS", "RIS"), MACHINE_ROOM),
        ("DB-KSK", "自助服务平台 MySQL 数据库", MED, ("KIOSK",), MACHINE_ROOM),
        ("DB-OA", "OA MySQL 数据库", MED, ("OFFICE",), MACHINE_ROOM),
    )
    items += [
        Item(code, name, K.DATABASE, crit, room, "IT", DBA, services)
        for code, name, crit, services, room in databases
    ]
    applications = (
        ("APP-ESB", "集成平台（ESB）", CRIT, ("HIS", "EMR", "LIS", "PACS", "RIS")),
        ("APP-PACS-ARCH", "PACS影像归档服务", HIGH, ("PACS", "RIS")),
        ("APP-PACS-WEB", "PACS Web影像调阅", HIGH, ("PACS",)),
        ("APP-DICOM-GW", "DICOM网关服务", HIGH, ("PACS", "RIS")),
        ("APP-LIS-INT", "LIS仪器接口程序", HIGH, ("LIS",)),
        ("APP-EMR-NUR", "护理电子病历", CRIT, ("EMR",)),
        ("APP-EMR-QC", "病历质控系统", MED, ("EMR",)),
        ("APP-HIS-RPT", "HIS统计报表", MED, ("HIS",)),
        ("APP-AD", "域认证服务（AD）", HIGH, ("OFFICE",)),
        ("APP-OA", "OA办公系统", MED, ("OFFICE",)),
        ("APP-MAIL", "院内邮件", LOW, ("OFFICE",)),
    )
    items += [
        Item(code, name, K.APPLICATION, crit, MACHINE_ROOM, "IT", APPS, services)
        for code, name, crit, services in applications
    ]
    return items


def _floor_switch(building: str, floor: int, n: int = 1) -> str:
    return "SW-%s-%02dF" % (building, floor) + ("" if n == 1 else "-%d" % n)


def _network() -> list[Item]:
    """The data-centre network beyond catalogue.py's, a pair of distribution switches per
    building, an access switch (two on busy floors) and wireless APs on every floor."""
    net = K.NETWORK_DEVICE
    items = [
        Item("SW-SAN-01", "SAN光纤交换机01（博科 G620）", net, CRIT, MACHINE_ROOM, "IT", NET, ()),
        Item("SW-SAN-02", "SAN光纤交换机02（博科 G620）", net, CRIT, MACHINE_ROOM, "IT", NET, ()),
        Item("SW-DR-01", "灾备机房接入交换机01", net, HIGH, DR_ROOM, "IT", NET, ()),
        Item("SW-DR-02", "灾备机房接入交换机02", net, HIGH, DR_ROOM, "IT", NET, ()),
        Item("FW-INT-01", "互联网出口防火墙01", net, HIGH, MACHINE_ROOM, "IT", NET, ("OFFICE",)),
        Item("FW-INT-02", "互联网出口防火墙02", net, HIGH, MACHINE_ROOM, "IT", NET, ("OFFICE",)),
        Item("FW-DR-01", "灾备机房防火墙", net, HIGH, DR_ROOM, "IT", NET, ()),
        Item("LB-DC-01", "应用负载均衡01", net, CRIT, MACHINE_ROOM, "IT", NET, ("HIS", "EMR")),
        Item("LB-DC-02", "应用负载均衡02", net, CRIT, MACHINE_ROOM, "IT", NET, ("HIS", "EMR")),
    ]
    for code, name, floors, dept in BUILDINGS:
        closet = "%s1层 弱电间" % name
        items += [
            Item(
                "SW-AGG-%s-%02d" % (code, n),
                "%s汇聚交换机%02d" % (name, n),
                net,
                CRIT,
                closet,
                dept,
                NET,
                ("OFFICE",),
            )
            for n in (1, 2)
        ]
        for floor in range(1, floors + 1):
            place = "%s%d层 弱电间" % (name, floor)
            items.append(
                Item(
                    _floor_switch(code, floor),
                    "%s%d层接入交换机" % (name, floor),
                    net,
                    HIGH,
                    place,
                    dept,
                    NET,
                    ("OFFICE",),
                )
            )
            if code in STACKED:
                items.append(
                    Item(
                        _floor_switch(code, floor, 2),
                        "%s%d层接入交换机2" % (name, floor),
                        net,
                        HIGH,
                        place,
                        dept,
                        NET,
                        ("OFFICE",),
                    )
                )
            items += [
                Item(
                    "AP-%s-%02dF-%02d" % (code, floor, n),
                    "%s%d层无线AP%02d" % (name, floor, n),
                    net,
                    MED,
                    "%s%d层" % (name, floor),
                    dept,
                    NET,
                    ("OFFICE",),
                )
                for n in range(1, ACCESS_POINTS_PER_FLOOR + 1)
            ]
    return items


def _numbered(
    pattern: str,
    name: str,
    ci_class: str,
    numbers: Iterable[int],
    place: str,
    dept: str,
    services: tuple[str, ...],
    crit: int = MED,
) -> Iterator[Item]:
    for n in numbers:
        yield Item(pattern % n, name % n, ci_class, crit, place, dept, DESK, services)


def _endpoints(locations: dict[str, str]) -> list[Item]:
    """The rest of the workstations, printers and kiosks (catalogue.py has a handful per
    department): a 1,500-bed hospital has ten doctors' workstations per ward, mobile
    nursing carts, and PCs in every office."""
    WS, PRN, KSK = K.WORKSTATION, K.PRINTER, K.KIOSK
    items: list[Item] = []
    for code, short in WARDS:
        place = locations[code]
        station = "分诊台" if code == "ED" else "护士站"
        office = "%s 医生办公室" % place
        nurses = "%s %s" % (place, station)
        items += _numbered(
            "WS-%s-DR%%02d" % code,
            "%s医生工作站%%d" % short,
            WS,
            range(3, 11),
            office,
            code,
            ("HIS", "EMR", "PACS"),
        )
        items += _numbered(
            "WS-%s-NS%%02d" % code,
            "%s%s电脑%%d" % (short, station),
            WS,
            range(3, 5),
            nurses,
            code,
            ("HIS", "EMR"),
        )
        items += _numbered(
            "WS-%s-MN%%02d" % code,
            "%s移动护理推车%%d" % short,
            WS,
            range(1, 4),
            nurses,
            code,
            ("HIS", "EMR"),
        )
        items.append(
            Item(
                "PRN-%s-003" % code,
                "%s医生办公室激光打印机" % short,
                PRN,
                MED,
                office,
                code,
                DESK,
                ("HIS", "EMR"),
            )
        )
        items.append(
            Item(
                "PRN-%s-004" % code,
                "%s%s激光打印机" % (short, station),
                PRN,
                MED,
                nurses,
                code,
                DESK,
                ("HIS", "EMR"),
            )
        )
    for code, short in CLINICS:
        place = locations[code]
        for n in range(4, 9):
            items.append(
                Item(
                    "WS-%s-DR%02d" % (code, n),
                    "%s诊室%d电脑" % (short, n),
                    WS,
                    MED,
                    "%s %s诊室%d" % (place, short, n),
                    code,
                    DESK,
                    ("HIS", "EMR", "PACS"),
                )
            )
        items.append(
            Item(
                "PRN-%s-002" % code,
                "%s诊区条码打印机" % short,
                PRN,
                LOW,
                "%s %s诊区" % (place, short),
                code,
                DESK,
                ("HIS", "LIS"),
            )
        )
    medical_technology = (
        (
            "WS-RAD-%02d",
            "放射科诊断报告工作站%d",
            "医技楼1层 放射科读片室",
            "RAD",
            range(5, 17),
            ("PACS", "RIS"),
        ),
        (
            "WS-RAD-REG%02d",
            "放射科登记台电脑%d",
            "医技楼1层 放射科登记台",
            "RAD",
            range(1, 5),
            ("RIS", "HIS"),
        ),
        (
            "WS-US-%02d",
            "超声报告工作站%d",
            "医技楼2层 超声医学科",
            "US",
            range(4, 11),
            ("RIS", "PACS"),
        ),
        ("WS-LAB-%02d", "检验科工作站%d", "医技楼3层 检验科", "LAB", range(5, 17), ("LIS",)),
        ("WS-PATH-%02d", "病理科工作站%d", "医技楼4层 病理科", "PATH", range(3, 7), ("LIS",)),
        (
            "WS-PHARM-%02d",
            "门诊药房发药电脑%d",
            "门诊楼1层 门诊药房",
            "PHARM",
            range(5, 11),
            ("HIS",),
        ),
        (
            "WS-PHARM-IP%02d",
            "住院药房摆药电脑%d",
            "住院楼A座1层 住院药房",
            "PHARM",
            range(1, 5),
            ("HIS",),
        ),
        (
            "WS-BLOOD-%02d",
            "输血科工作站%d",
            "医技楼3层 输血科",
            "BLOOD",
            range(1, 4),
            ("LIS", "HIS"),
        ),
        (
            "WS-ENDOS-%02d",
            "内镜报告工作站%d",
            "医技楼2层 内镜中心",
            "ENDOS",
            range(1, 5),
            ("PACS", "HIS"),
        ),
        (
            "WS-IPD-%02d",
            "住院登记结算电脑%d",
            "住院楼A座1层 住院服务中心",
            "IPD",
            range(4, 9),
            ("HIS", "MEDINS"),
        ),
        ("WS-OPD-%02d", "门诊导诊台电脑%d", "门诊楼1层 导诊台", "OPD", range(1, 5), ("HIS",)),
    )
    for pattern, name, place, dept, numbers, services in medical_technology:
        items += _numbered(pattern, name, WS, numbers, place, dept, services)
    for floor in (4, 5):
        for n in (1, 2):
            code = "WS-CASH-%d%02d" % (floor, n)
            place = "门诊楼%d层 收费处 %d号窗口" % (floor, n)
            items.append(
                Item(
                    code,
                    "收费窗口电脑（%d层%d号）" % (floor, n),
                    WS,
                    HIGH,
                    place,
                    "CASH",
                    DESK,
                    ("HIS", "MEDINS"),
                )
            )
            items.append(
                Item(
                    code.replace("WS-", "PRN-"),
                    "发票打印机（%d层%d号窗口）" % (floor, n),
                    PRN,
                    HIGH,
                    place,
                    "CASH",
                    DESK,
                    ("HIS",),
                )
            )
    printers = (
        ("PRN-RAD-%03d", "放射科报告打印机%d", "医技楼1层 放射科", "RAD", range(2, 5), ("RIS",)),
        ("PRN-US-%03d", "超声报告打印机%d", "医技楼2层 超声医学科", "US", range(1, 3), ("RIS",)),
        ("PRN-LAB-%03d", "检验报告打印机%d", "医技楼3层 检验科", "LAB", range(3, 7), ("LIS",)),
        ("PRN-PATH-%03d", "病理标签打印机%d", "医技楼4层 病理科", "PATH", range(1, 3), ("LIS",)),
        (
            "PRN-ENDOS-%03d",
            "内镜报告打印机%d",
            "医技楼2层 内镜中心",
            "ENDOS",
            range(1, 2),
            ("PACS",),
        ),
        (
            "PRN-BLOOD-%03d",
            "输血科条码打印机%d",
            "医技楼3层 输血科",
            "BLOOD",
            range(1, 2),
            ("LIS",),
        ),
        (
            "PRN-PHARM-%03d",
            "药房标签打印机%d",
            "住院楼A座1层 住院药房",
            "PHARM",
            range(2, 5),
            ("HIS",),
        ),
    )
    for pattern, name, place, dept, numbers, services in printers:
        items += _numbered(pattern, name, PRN, numbers, place, dept, services)
    offices = (
        ("FIN", "财务科", 8),
        ("MED", "医务科", 6),
        ("NURS", "护理部", 6),
        ("IT", "信息科", 12),
        ("YB", "医保办", 6),
        ("EQUIP", "设备科", 5),
        ("PRES", "院长办公室", 4),
        ("HR", "人事科", 5),
        ("LOGI", "后勤保障部", 5),
    )
    for dept, short, count in offices:
        place = "%s 办公室" % locations[dept]
        services = ("OFFICE", "MEDINS") if dept == "YB" else ("OFFICE",)
        items += _numbered(
            "WS-%s-%%02d" % dept,
            "%s办公电脑%%d" % short,
            WS,
            range(1, count + 1),
            place,
            dept,
            services,
            LOW,
        )
        items += _numbered(
            "PRN-%s-%%03d" % dept, "%s打印机%%d" % short, PRN, (1, 2), place, dept, ("OFFICE",), LOW
        )
    kiosks = (
        ("KSK-OPD-4F-%02d", "门诊4层自助机%02d", "门诊楼4层 候诊区", "OPD", 2),
        ("KSK-OPD-5F-%02d", "门诊5层自助机%02d", "门诊楼5层 候诊区", "OPD", 2),
        ("KSK-IPB-%02d", "住院B座自助机%02d", "住院楼B座1层 大厅", "IPD", 2),
        ("KSK-MT-%02d", "医技楼自助机%02d", "医技楼2层 候诊区", "OPD", 3),
    )
    for pattern, name, place, dept, count in kiosks:
        items += _numbered(
            pattern, name, KSK, range(1, count + 1), place, dept, ("KIOSK", "HIS", "MEDINS")
        )
    items += _numbered(
        "KSK-RPT-%02d",
        "报告自助打印机%02d",
        KSK,
        (3, 4),
        "门诊楼2层 候诊区",
        "OPD",
        ("KIOSK", "HIS", "MEDINS"),
    )
    return items


# Licences and what runs under them: (code, name, owner group, users).
LICENCES: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    (
        "LIC-ORA-EE",
        "Oracle 数据库企业版许可",
        DBA,
        ("DB-HIS-ORA", "DB-EMR-ORA", "DB-HIS-DG", "DB-HIS-RPT"),
    ),
    ("LIC-PACS-WS", "PACS 诊断工作站许可（50 点）", APPS, ("APP-PACS-VIEW",)),
    (
        "LIC-WIN-DC",
        "Windows Server 数据中心版许可",
        SYS,
        tuple(_host(n) for n in range(1, HOSTS + 1)),
    ),
)


def _licences() -> list[Item]:
    return [
        Item(code, name, K.SOFTWARE_LICENCE, MED, "", "IT", owner, ())
        for code, name, owner, _users in LICENCES
    ]


def cmdb_specs(locations: dict[str, str]) -> list[Item]:
    """The items this module adds (catalogue.py's are not repeated)."""
    return _data_centre() + _network() + _endpoints(locations) + _licences()


# The applications' own dependencies, by code. RANK orders the applications so that an
# application only depends on applications of a lower rank: the dependency family stays
# acyclic by construction.
APP_RANK: dict[str, int] = {
    "APP-ESB": 1,
    "APP-YB": 1,
    "APP-AD": 1,
    **dict.fromkeys(("APP-HIS-OPD", "APP-HIS-NUR", "APP-HIS-PHA", "APP-HIS-CHG", "APP-HIS-IPD"), 2),
    **dict.fromkeys(("APP-HIS-RPT", "APP-EMR", "APP-PACS-ARCH", "APP-LIS", "APP-OA"), 2),
    "APP-MAIL": 2,
    **dict.fromkeys(("APP-EMR-NUR", "APP-EMR-QC", "APP-PACS-VIEW", "APP-PACS-WEB"), 3),
    **dict.fromkeys(("APP-DICOM-GW", "APP-LIS-INT", "APP-RIS", "APP-KSK"), 3),
}


def _range(pattern: str, numbers: Iterable[int]) -> list[str]:
    return [pattern % n for n in numbers]


APP_RUNS_ON: dict[str, list[str]] = {
    "APP-HIS-OPD": [*_range("SRV-HIS-APP%02d", range(1, 5)), "SRV-HIS-WEB01", "SRV-HIS-WEB02"],
    "APP-HIS-NUR": _range("SRV-HIS-APP%02d", range(1, 5)),
    "APP-HIS-PHA": _range("SRV-HIS-APP%02d", (5, 6)),
    "APP-HIS-CHG": _range("SRV-HIS-APP%02d", range(5, 9)),
    "APP-HIS-IPD": _range("SRV-HIS-APP%02d", (7, 8)),
    "APP-HIS-RPT": ["SRV-HIS-RPT01"],
    "APP-EMR": _range("SRV-EMR-APP%02d", range(1, 5)),
    "APP-EMR-NUR": _range("SRV-EMR-APP%02d", (3, 4)),
    "APP-EMR-QC": ["SRV-EMR-QC01"],
    "APP-PACS-ARCH": _range("SRV-PACS-APP%02d", range(1, 4)),
    "APP-PACS-WEB": ["SRV-PACS-WEB01"],
    "APP-DICOM-GW": ["SRV-PACS-GW01"],
    "APP-LIS": ["SRV-LIS-APP01", "SRV-LIS-APP02"],
    "APP-LIS-INT": ["SRV-LIS-INT01"],
    "APP-RIS": ["SRV-RIS-APP01", "SRV-RIS-APP02"],
    "APP-YB": ["SRV-YB-01", "SRV-YB-02"],
    "APP-KSK": ["SRV-KSK-01", "SRV-KSK-02"],
    "APP-ESB": ["SRV-ESB-01", "SRV-ESB-02"],
    "APP-AD": ["SRV-AD-01", "SRV-AD-02"],
    "APP-OA": ["SRV-OA-01"],
    "APP-MAIL": ["SRV-MAIL-01"],
}
_LB = ["LB-DC-01", "LB-DC-02"]
APP_DEPENDS_ON: dict[str, list[str]] = {
    "APP-HIS-OPD": ["DB-HIS-ORA", *_LB],
    "APP-HIS-NUR": ["DB-HIS-ORA", *_LB],
    "APP-HIS-PHA": ["DB-HIS-ORA"],
    "APP-HIS-CHG": ["DB-HIS-ORA", "APP-YB", *_LB],
    "APP-HIS-IPD": ["DB-HIS-ORA", "APP-YB"],
    "APP-HIS-RPT": ["DB-HIS-RPT"],
    "APP-EMR": ["DB-EMR-ORA", "APP-ESB", *_LB],
    "APP-EMR-NUR": ["APP-EMR"],
    "APP-EMR-QC": ["APP-EMR"],
    "APP-ESB": ["DB-ESB"],
    # Orders reach LIS, RIS and PACS from HIS through the integration platform; RIS
    # reports need the images from the PACS archive.
    "APP-PACS-ARCH": ["DB-PACS-SQL", "APP-ESB"],
    "APP-PACS-VIEW": ["APP-PACS-ARCH"],
    "APP-PACS-WEB": ["APP-PACS-ARCH"],
    "APP-DICOM-GW": ["APP-PACS-ARCH"],
    "APP-LIS": ["DB-LIS-SQL", "APP-ESB"],
    "APP-LIS-INT": ["APP-LIS"],
    "APP-RIS": ["DB-RIS-SQL", "APP-ESB", "APP-PACS-ARCH"],
    "APP-YB": ["DB-HIS-ORA", "FW-YB-01"],
    "APP-KSK": ["DB-KSK", "APP-HIS-CHG"],
    "APP-OA": ["DB-OA", "APP-AD"],
    "APP-MAIL": ["APP-AD"],
}
DB_RUNS_ON: dict[str, list[str]] = {
    "DB-HIS-ORA": ["SRV-HIS-DB01", "SRV-HIS-DB02"],
    "DB-HIS-DG": ["SRV-HIS-DG01"],
    "DB-HIS-RPT": ["SRV-HIS-RPT01"],
    "DB-EMR-ORA": ["SRV-EMR-DB01", "SRV-EMR-DB02"],
    "DB-PACS-SQL": ["SRV-PACS-DB01"],
    "DB-LIS-SQL": ["SRV-LIS-DB01", "SRV-LIS-DB02"],
    "DB-RIS-SQL": ["SRV-RIS-DB01"],
    "DB-ESB": ["SRV-ESB-01"],
    "DB-KSK": ["SRV-KSK-01"],
    "DB-OA": ["SRV-OA-01"],
}
# What the devices' interfaces feed: laboratory analysers the LIS interface engine,
# modalities the DICOM gateway and the RIS worklist, monitors the EMR.
DEVICE_DEPENDS_ON: dict[str, list[str]] = {
    "MDI-LAB": ["APP-LIS-INT"],
    "MDI-RAD": ["APP-DICOM-GW", "APP-RIS"],
    "MDI-US": ["APP-DICOM-GW", "APP-RIS"],
    "MDI-ENDOS": ["APP-DICOM-GW"],
    "MDI-ICU": ["APP-EMR"],
    "MDI-ED": ["APP-EMR"],
    "MDI-ANES": ["APP-EMR"],
}
# Backup targets, by layer: a copy is only ever written to a lower layer.
BACKUP_LAYER: dict[str, int] = {
    "STO-TAPE-01": 0,
    "STO-DR-01": 1,
    "STO-SAN-02": 1,
    "STO-PACS-02": 1,
    "SRV-BAK-01": 1,
    "SRV-HIS-DG01": 1,
    "STO-SAN-01": 2,
    "STO-PACS-01": 2,
}
BACKUPS: tuple[tuple[str, str], ...] = (
    ("STO-SAN-01", "STO-SAN-02"),
    ("STO-PACS-01", "STO-PACS-02"),
    ("STO-PACS-02", "STO-TAPE-01"),
    ("STO-DR-01", "STO-TAPE-01"),
    ("DB-HIS-ORA", "SRV-HIS-DG01"),
)
# Which application a workstation of a service uses, by the workstation's role (doctor,
# nurse, cashier...) for HIS and EMR.
_HIS_BY_ROLE = {
    "NS": "APP-HIS-NUR",
    "MN": "APP-HIS-NUR",
    "CASH": "APP-HIS-CHG",
    "IPD": "APP-HIS-IPD",
    "PHARM": "APP-HIS-PHA",
}
_APPS_OF_SERVICE = {
    "EMR": ["APP-EMR"],
    "PACS": ["APP-PACS-VIEW"],
    "LIS": ["APP-LIS"],
    "RIS": ["APP-RIS"],
    "OFFICE": ["APP-OA", "APP-MAIL"],
}


class Row:
    """A configuration item as the wiring needs it (no model instances for a thousand)."""

    __slots__ = ("ci_class", "code", "department_id", "location", "pk", "services")

    def __init__(self, pk: int, code: str, ci_class: str, location: str, department_id: int | None):
        self.pk, self.code, self.ci_class = pk, code, ci_class
        self.location, self.department_id = location, department_id
        self.services: set[str] = set()


def _dependency_layer(row: Row) -> int:
    """Layers of the dependency family (depends_on, runs_on, hosted_on): an edge always
    goes down. Storage and network at the bottom, physical servers, virtual machines,
    databases, applications by rank, then the devices at the edge."""
    if row.ci_class in (K.STORAGE, K.NETWORK_DEVICE):
        return 0
    if row.ci_class == K.SERVER:
        return 1 if row.code in PHYSICAL else 2
    if row.ci_class == K.DATABASE:
        return 3
    if row.ci_class == K.APPLICATION:
        return 4 + APP_RANK[row.code]
    return 20


def _backup_layer(row: Row) -> int:
    return BACKUP_LAYER.get(row.code, 3)


def _floor_switches(row: Row, rows: dict[str, Row]) -> list[str]:
    """The access switch of the floor the item stands on (either of a stacked pair)."""
    match = _FLOOR.match(row.location)
    if match is None:
        return []
    building, floor = _BUILDING_CODE[match.group(1)], int(match.group(2))
    candidates = [
        code
        for code in (_floor_switch(building, floor), _floor_switch(building, floor, 2))
        if code in rows
    ]
    return [candidates[row.pk % len(candidates)]] if candidates else []


def wiring(rows: dict[str, Row]) -> list[tuple[str, str, str]]:
    """Every relationship of the demo CMDB as (source code, type, target code)."""
    edges: list[tuple[str, str, str]] = []

    def add(source: str, type: str, targets: Iterable[str]) -> None:
        edges.extend((source, type, target) for target in targets if target in rows)

    by_class: dict[str, list[Row]] = defaultdict(list)
    for row in rows.values():
        by_class[row.ci_class].append(row)
    # Applications and databases on their servers, and on each other.
    for app, servers in APP_RUNS_ON.items():
        add(app, T.RUNS_ON, servers)
    for app, needs in APP_DEPENDS_ON.items():
        add(app, T.DEPENDS_ON, needs)
    for db, servers in DB_RUNS_ON.items():
        add(db, T.RUNS_ON, servers)
    # Servers on hosts and arrays, cabled to the data-centre switches.
    machine_room_hosts = [_host(n) for n in range(1, HOSTS + 1) if n not in DR_HOSTS]
    dr_hosts = [_host(n) for n in DR_HOSTS]
    vms = 0
    for row in sorted(by_class[K.SERVER], key=lambda r: r.code):
        in_dr = row.location == DR_ROOM
        if row.code in PHYSICAL:
            array = ARRAY_OF.get(row.code, "STO-SAN-02" if in_dr else "STO-SAN-01")
            add(row.code, T.HOSTED_ON, [array])
            if in_dr:
                add(row.code, T.CONNECTED_TO, ["SW-DR-01", "SW-DR-02"])
            else:
                pair = (1, 2) if row.pk % 2 else (3, 4)
                add(row.code, T.CONNECTED_TO, ["SW-DC-%02d" % n for n in pair])
            add(row.code, T.CONNECTED_TO, ["SW-SAN-01", "SW-SAN-02"])
        else:
            hosts = dr_hosts if in_dr or row.code in DR_VMS else machine_room_hosts
            add(row.code, T.HOSTED_ON, [hosts[vms % len(hosts)]])
            add(row.code, T.BACKED_UP_BY, ["SRV-BAK-01"])
            vms += 1
    for row in by_class[K.STORAGE]:
        add(row.code, T.CONNECTED_TO, ["SW-SAN-01", "SW-SAN-02"])
    for licence, _name, _owner, users in LICENCES:
        for user in users:
            add(user, T.USES, [licence])
    for row in by_class[K.DATABASE]:
        add(row.code, T.BACKED_UP_BY, ["STO-DR-01"])
    for source, target in BACKUPS:
        add(source, T.BACKED_UP_BY, [target])
    # The network: access to distribution to core; the data centre's edge to the core.
    cores = ["SW-CORE-01", "SW-CORE-02"]
    for row in by_class[K.NETWORK_DEVICE]:
        code = row.code
        if code.startswith(("SW-DC-", "SW-AGG-", "FW-DC-", "LB-DC-", "AC-WLAN-")):
            add(code, T.CONNECTED_TO, cores)
        elif code.startswith(("SW-DR-", "FW-DR-")):
            add(code, T.CONNECTED_TO, ["SW-CORE-02"])
        elif code.startswith(("FW-INT-", "FW-YB-")):
            add(code, T.CONNECTED_TO, ["FW-DC-01", "FW-DC-02"])
        elif code.startswith("AP-"):
            add(code, T.CONNECTED_TO, [*_floor_switches(row, rows), "AC-WLAN-01"])
        elif code.startswith("SW-") and code.count("-") >= 2 and "F" in code.split("-")[2]:
            building = code.split("-")[1]
            add(code, T.CONNECTED_TO, ["SW-AGG-%s-01" % building, "SW-AGG-%s-02" % building])
    # The edge: endpoints on their floor's switch; workstations use the applications of
    # their services, the domain, and their department's printer; kiosks and device
    # interfaces depend on the application behind them.
    printers: dict[int | None, str] = {}
    for row in sorted(by_class[K.PRINTER], key=lambda r: r.code):
        printers.setdefault(row.department_id, row.code)
    for ci_class in (K.WORKSTATION, K.PRINTER, K.KIOSK, K.MEDICAL_DEVICE_INTERFACE):
        for row in by_class[ci_class]:
            add(row.code, T.CONNECTED_TO, _floor_switches(row, rows))
    for row in by_class[K.WORKSTATION]:
        role = row.code.split("-")[1]
        if role not in _HIS_BY_ROLE:
            role = row.code.split("-")[2][:2] if row.code.count("-") >= 2 else ""
        apps = ["APP-AD"]
        if "HIS" in row.services:
            apps.append(_HIS_BY_ROLE.get(role, "APP-HIS-OPD"))
        if "EMR" in row.services and role in ("NS", "MN"):
            apps.append("APP-EMR-NUR")
        for service in sorted(row.services):
            apps += _APPS_OF_SERVICE.get(service, [])
        add(row.code, T.USES, apps)
        if row.department_id in printers:
            add(row.code, T.USES, [printers[row.department_id]])
    for row in by_class[K.KIOSK]:
        add(row.code, T.DEPENDS_ON, ["APP-KSK"])
        if row.code.startswith("KSK-RPT-"):  # they print the laboratory and imaging reports
            add(row.code, T.DEPENDS_ON, ["APP-LIS", "APP-RIS", "APP-PACS-WEB"])
    for row in by_class[K.MEDICAL_DEVICE_INTERFACE]:
        add(row.code, T.DEPENDS_ON, DEVICE_DEPENDS_ON.get(row.code.rsplit("-", 1)[0], []))
    return edges


def check_wiring(edges: Iterable[tuple[str, str, str]], rows: dict[str, Row]) -> None:
    """Refuse an edge the class rules do not allow, or one of an acyclic family that does
    not go down a layer (which is what keeps those families free of loops)."""
    for source_code, type, target_code in edges:
        source, target = rows[source_code], rows[target_code]
        if not is_allowed(type, (source.ci_class,), (target.ci_class,)):
            raise ValueError("%s %s %s: not allowed" % (source_code, type, target_code))
        family = ACYCLIC_FAMILIES.get(type)
        layer = {"dependency": _dependency_layer, "backup": _backup_layer}.get(family or "")
        if layer is not None and layer(source) <= layer(target):
            raise ValueError(
                "%s %s %s: does not go down a layer" % (source_code, type, target_code)
            )


def _rows() -> dict[str, Row]:
    rows = {
        code: Row(pk, code, ci_class, place_text(building, floor, position), department_id)
        for pk, code, ci_class, building, floor, position, department_id in (
            ConfigurationItem.objects.values_list(
                "pk",
                "code",
                "ci_class__code",
                "location__location__name",
                "location__name",
                "position",
                "department_id",
            )
        )
    }
    tree = ClassTree.load()
    for row in rows.values():
        row.ci_class = tree.lineage(row.ci_class)[-1]
    by_pk = {row.pk: row for row in rows.values()}
    through = ConfigurationItem.services.through
    for item_id, service_code in through.objects.values_list(
        "configurationitem_id", "service__code"
    ):
        by_pk[item_id].services.add(service_code)
    return rows


def load_cmdb(
    departments: dict[str, Department],
    groups: dict[str, SupportGroup],
    services: dict[str, Service],
) -> tuple[int, int]:
    """Add the CIs and relationships the database does not have yet (after
    `load_configuration_items`, whose items this wires in); returns how many of each."""
    locations = {code: dept.location for code, dept in departments.items()}
    items = create_items(cmdb_specs(locations), departments, groups, services)
    rows = _rows()
    edges = list(dict.fromkeys(wiring(rows)))
    check_wiring(edges, rows)
    existing = set(Relationship.objects.values_list("source_id", "type", "target_id"))
    new = [
        Relationship(source_id=rows[s].pk, type=t, target_id=rows[g].pk)
        for s, t, g in edges
        if (rows[s].pk, t, rows[g].pk) not in existing
    ]
    Relationship.objects.bulk_create(new, batch_size=2000)
    enrich(timezone.localdate())
    return items, len(new)


_ENGINES = (("Oracle", "Oracle"), ("SQL Server", "SQL Server"), ("MySQL", "MySQL"))
# (vendor, contract number, contract name, classes it covers)
_CONTRACTS = (
    ("联想集团", "WB-2025-017", "终端设备三年维保", (K.WORKSTATION, K.PRINTER, K.KIOSK)),
    ("华为技术", "WB-2024-006", "网络设备维保", (K.NETWORK_DEVICE,)),
    ("华为技术", "WB-2024-007", "服务器与存储维保", (K.SERVER, K.STORAGE)),
)


def enrich(today: dt.date) -> None:
    """The details a hospital's CMDB carries beyond the wiring, filled where missing:
    physical and virtual servers told apart, database engines, operating systems, IP
    addresses, the maintenance contracts and vendors, serial numbers, asset tags,
    purchase and warranty dates. Idempotent: items that have them are left alone."""
    ConfigurationItem.objects.filter(ci_class__code=K.SERVER, code__in=PHYSICAL).update(
        ci_class_id="physical_server"
    )
    ConfigurationItem.objects.filter(ci_class__code=K.SERVER).update(ci_class_id="virtual_server")
    for prefix, ci_class in (("SW-", "switch"), ("AP-", "wireless_ap"), ("FW-", "firewall")):
        ConfigurationItem.objects.filter(
            ci_class__code=K.NETWORK_DEVICE, code__startswith=prefix
        ).update(ci_class_id=ci_class)
    ConfigurationItem.objects.filter(ci_class__code=K.PRINTER).filter(
        Q(name__contains="条码") | Q(name__contains="腕带")
    ).update(ci_class_id="barcode_printer")
    vendors = {v.name: v for v in Vendor.objects.all()}
    contracts: dict[str, Contract] = {}
    for vendor, number, name, classes in _CONTRACTS:
        contract, _new = Contract.objects.get_or_create(
            number=number,
            defaults={
                "name": name,
                "vendor": vendors[vendor],
                "starts_on": dt.date(today.year - 1, 1, 1),
                "ends_on": dt.date(today.year + 2, 12, 31),
            },
        )
        for ci_class in classes:
            contracts[ci_class] = contract
    tree = ClassTree.load()
    changed = []
    for n, item in enumerate(
        ConfigurationItem.objects.filter(vendor__isnull=True, attributes={}).order_by("pk"), 1
    ):
        root = tree.lineage(item.ci_class_id)[-1]
        if root == K.LOCATION:
            continue
        if item.ci_class_id == K.DATABASE:
            item.attributes = {
                "engine": next((e for key, e in _ENGINES if key in item.name), "Oracle"),
                "software_version": "19c" if "Oracle" in item.name else "2019",
            }
        elif root == K.SERVER:
            database = "DB" in item.code
            item.attributes = {
                "os": "Oracle Linux 7.9" if database else "Windows Server 2019",
                "cpu_cores": 32 if item.ci_class_id == "physical_server" else 8,
                "memory_gb": 256 if database else 32,
            }
            item.ip_address = "10.10.%d.%d" % (n // 200, n % 200 + 20)
        elif root == K.WORKSTATION:
            item.attributes = {"os": "Windows 10 专业版"}
        elif root == K.STORAGE:
            item.attributes = {"capacity_tb": 120 if "PACS" in item.code else 40}
            item.attributes["raid_level"] = "RAID 6"
        elif root == K.NETWORK_DEVICE:
            item.attributes = {
                "model": "华为 CloudEngine 6881" if "CORE" in item.code else "华为 S5735"
            }
            item.attributes["ports"] = 48
        elif root == K.SOFTWARE_LICENCE:
            item.attributes = {"seats": 50 if "PACS" in item.code else 16}
            item.attributes["expires_on"] = dt.date(today.year + 1, 6, 30).isoformat()
        covered = contracts.get(root)
        if covered is not None:
            item.vendor_id, item.contract = covered.vendor_id, covered
            item.serial_number = "SN%s%06d" % (covered.number[-3:], item.pk)
            item.asset_tag = "ZC-%06d" % item.pk
            item.purchased_on = dt.date(today.year - 1 - n % 4, 1 + n % 12, 1 + n % 28)
            item.warranty_ends_on = dt.date(item.purchased_on.year + 3, item.purchased_on.month, 1)
        changed.append(item)
    ConfigurationItem.objects.bulk_update(
        changed,
        (
            "attributes",
            "ip_address",
            "vendor",
            "contract",
            "serial_number",
            "asset_tag",
            "purchased_on",
            "warranty_ends_on",
        ),
        batch_size=500,
    )
