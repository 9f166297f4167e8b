"""The demo hospital's business services and configuration items: the servers in the two
machine rooms, the network, and the workstations, printers, self-service kiosks and
medical-device interfaces spread over the buildings. Codes follow the usual pattern
<class>-<department or system>-<number> (SRV-HIS-DB01, PRN-ED-003), which is also what the
scan-to-report labels carry."""

from __future__ import annotations

from dataclasses import dataclass, field

from itsm.accounts.models import Department, SupportGroup
from itsm.cmdb.choices import ConfigurationItemClass, Criticality
from itsm.cmdb.models import ConfigurationItem, Service
from itsm.demo.locations import Places

K = ConfigurationItemClass
CRIT, HIGH, MED, LOW = Criticality.CRITICAL, Criticality.HIGH, Criticality.MEDIUM, Criticality.LOW

# (code, name, description, criticality, owner group)
SERVICES: tuple[tuple[str, str, str, int, str], ...] = (
    ("HIS", "HIS", "医院信息系统：门急诊挂号收费、医生站、护士站、药房、住院管理", CRIT, "应用组"),
    ("EMR", "EMR", "电子病历系统：门诊与住院病历、护理病历、病历质控", CRIT, "应用组"),
    ("PACS", "PACS", "医学影像存储与传输系统：影像归档、调阅、诊断报告", HIGH, "应用组"),
    ("LIS", "LIS", "实验室信息系统：标本条码、仪器接口、检验报告", HIGH, "应用组"),
    ("RIS", "RIS", "放射信息系统：检查预约登记、分诊叫号、报告", HIGH, "应用组"),
    ("MEDINS", "医保接口", "医保结算接口：医保局前置机、医保电子凭证、异地结算", CRIT, "应用组"),
    ("KIOSK", "自助服务", "门诊自助机：自助挂号、缴费、报告与发票打印", MED, "桌面运维组"),
    ("OFFICE", "办公网", "院内办公网络、无线网络、终端与打印、OA、邮件、VPN", MED, "网络组"),
)

MACHINE_ROOM = "行政楼B1层 信息中心机房"
DR_ROOM = "住院楼B座B1层 灾备机房"


@dataclass(frozen=True)
class Item:
    code: str
    name: str
    ci_class: str
    criticality: int
    location: str
    department: str  # department code
    owner: str  # support group name
    services: tuple[str, ...]  # service codes
    attributes: dict[str, object] = field(default_factory=dict)


def _data_centre() -> list[Item]:
    items = [
        *(
            Item(
                "SRV-HIS-APP%02d" % n,
                "HIS应用服务器%02d" % n,
                K.SERVER,
                CRIT,
                MACHINE_ROOM,
                "IT",
                "系统组",
                ("HIS",),
            )
            for n in range(1, 5)
        ),
        Item(
            "SRV-HIS-DB01",
            "HIS数据库服务器（Oracle RAC 节点1）",
            K.SERVER,
            CRIT,
            MACHINE_ROOM,
            "IT",
            "数据库二线",
            ("HIS",),
        ),
        Item(
            "SRV-HIS-DB02",
            "HIS数据库服务器（Oracle RAC 节点2）",
            K.SERVER,
            CRIT,
            MACHINE_ROOM,
            "IT",
            "数据库二线",
            ("HIS",),
        ),
        Item(
            "SRV-HIS-DG01",
            "HIS灾备数据库服务器（Data Guard）",
            K.SERVER,
            HIGH,
            DR_ROOM,
            "IT",
            "数据库二线",
            ("HIS",),
        ),
        Item(
            "SRV-EMR-APP01",
            "EMR应用服务器01",
            K.SERVER,
            CRIT,
            MACHINE_ROOM,
            "IT",
            "系统组",
            ("EMR",),
        ),
        Item(
            "SRV-EMR-APP02",
            "EMR应用服务器02",
            K.SERVER,
            CRIT,
            MACHINE_ROOM,
            "IT",
            "系统组",
            ("EMR",),
        ),
        Item(
            "SRV-EMR-DB01",
            "EMR数据库服务器",
            K.SERVER,
            CRIT,
            MACHINE_ROOM,
            "IT",
            "数据库二线",
            ("EMR",),
        ),
        Item(
            "SRV-PACS-APP01",
            "PACS应用服务器01",
            K.SERVER,
            HIGH,
            MACHINE_ROOM,
            "IT",
            "系统组",
            ("PACS",),
        ),
        Item(
            "SRV-PACS-APP02",
            "PACS应用服务器02",
            K.SERVER,
            HIGH,
            MACHINE_ROOM,
            "IT",
            "系统组",
            ("PACS",),
        ),
        Item(
            "SRV-PACS-DB01",
            "PACS数据库服务器",
            K.SERVER,
            HIGH,
            MACHINE_ROOM,
            "IT",
            "数据库二线",
            ("PACS",),
        ),
        Item(
            "STO-PACS-01",
            "PACS在线影像存储阵列",
            K.STORAGE,
            HIGH,
            MACHINE_ROOM,
            "IT",
            "系统组",
            ("PACS",),
        ),
        Item("STO-PACS-02", "PACS近线归档存储", K.STORAGE, MED, DR_ROOM, "IT", "系统组", ("PACS",)),
        Item(
            "STO-SAN-01",
            "核心业务SAN存储",
            K.STORAGE,
            CRIT,
            MACHINE_ROOM,
            "IT",
            "系统组",
            ("HIS", "EMR"),
        ),
        Item(
            "SRV-LIS-APP01", "LIS应用服务器", K.SERVER, HIGH, MACHINE_ROOM, "IT", "系统组", ("LIS",)
        ),
        Item(
            "SRV-LIS-DB01",
            "LIS数据库服务器",
            K.SERVER,
            HIGH,
            MACHINE_ROOM,
            "IT",
            "数据库二线",
            ("LIS",),
        ),
        Item(
            "SRV-RIS-APP01", "RIS应用服务器", K.SERVER, HIGH, MACHINE_ROOM, "IT", "系统组", ("RIS",)
        ),
        Item(
            "SRV-YB-01",
            "医保前置机01",
            K.SERVER,
            CRIT,
            MACHINE_ROOM,
            "IT",
            "系统组",
            ("MEDINS", "HIS"),
        ),
        Item(
            "SRV-YB-02",
            "医保前置机02（备）",
            K.SERVER,
            CRIT,
            MACHINE_ROOM,
            "IT",
            "系统组",
            ("MEDINS", "HIS"),
        ),
        Item(
            "SRV-KSK-01",
            "自助服务平台服务器",
            K.SERVER,
            MED,
            MACHINE_ROOM,
            "IT",
            "系统组",
            ("KIOSK",),
        ),
        Item(
            "SRV-ESB-01",
            "集成平台服务器",
            K.SERVER,
            CRIT,
            MACHINE_ROOM,
            "IT",
            "系统组",
            ("HIS", "EMR", "LIS", "PACS", "RIS"),
        ),
        Item("SRV-AD-01", "域控制器01", K.SERVER, HIGH, MACHINE_ROOM, "IT", "系统组", ("OFFICE",)),
        Item("SRV-AD-02", "域控制器02", K.SERVER, HIGH, DR_ROOM, "IT", "系统组", ("OFFICE",)),
        Item("SRV-FILE-01", "文件服务器", K.SERVER, MED, MACHINE_ROOM, "IT", "系统组", ("OFFICE",)),
        Item(
            "SRV-OA-01",
            "OA办公系统服务器",
            K.SERVER,
            MED,
            MACHINE_ROOM,
            "IT",
            "系统组",
            ("OFFICE",),
        ),
        Item(
            "SRV-BAK-01",
            "备份服务器",
            K.SERVER,
            HIGH,
            DR_ROOM,
            "IT",
            "系统组",
            ("HIS", "EMR", "PACS"),
        ),
        Item(
            "DB-HIS-ORA",
            "HIS Oracle 数据库",
            K.DATABASE,
            CRIT,
            MACHINE_ROOM,
            "IT",
            "数据库二线",
            ("HIS", "MEDINS"),
        ),
        Item(
            "DB-EMR-ORA",
            "EMR Oracle 数据库",
            K.DATABASE,
            CRIT,
            MACHINE_ROOM,
            "IT",
            "数据库二线",
            ("EMR",),
        ),
        Item(
            "DB-PACS-SQL",
            "PACS SQL Server 数据库",
            K.DATABASE,
            HIGH,
            MACHINE_ROOM,
            "IT",
            "数据库二线",
            ("PACS",),
        ),
        Item(
            "DB-LIS-SQL",
            "LIS SQL Server 数据库",
            K.DATABASE,
            HIGH,
            MACHINE_ROOM,
            "IT",
            "数据库二线",
            ("LIS",),
        ),
        Item(
            "DB-RIS-SQL",
            "RIS SQL Server 数据库",
            K.DATABASE,
            HIGH,
            MACHINE_ROOM,
            "IT",
            "数据库二线",
            ("RIS",),
        ),
    ]
    applications = (
        ("APP-HIS-OPD", "HIS门诊医生站", ("HIS",)),
        ("APP-HIS-NUR", "HIS住院护士站", ("HIS",)),
        ("APP-HIS-PHA", "HIS药房管理", ("HIS",)),
        ("APP-HIS-CHG", "HIS门诊挂号收费", ("HIS", "MEDINS")),
        ("APP-HIS-IPD", "HIS住院登记结算", ("HIS", "MEDINS")),
        ("APP-EMR", "电子病历应用", ("EMR",)),
        ("APP-PACS-VIEW", "PACS影像调阅客户端", ("PACS",)),
        ("APP-LIS", "LIS检验应用", ("LIS",)),
        ("APP-RIS", "RIS登记报告应用", ("RIS",)),
        ("APP-YB", "医保结算接口程序", ("MEDINS",)),
        ("APP-KSK", "自助服务应用", ("KIOSK",)),
    )
    items += [
        Item(code, name, K.APPLICATION, CRIT, MACHINE_ROOM, "IT", "应用组", services)
        for code, name, services in applications
    ]
    return items


def _network() -> list[Item]:
    items = [
        Item(
            "SW-CORE-01",
            "核心交换机01（华为 CE12800）",
            K.NETWORK_DEVICE,
            CRIT,
            MACHINE_ROOM,
            "IT",
            "网络组",
            ("OFFICE", "HIS"),
        ),
        Item(
            "SW-CORE-02",
            "核心交换机02（华为 CE12800）",
            K.NETWORK_DEVICE,
            CRIT,
            DR_ROOM,
            "IT",
            "网络组",
            ("OFFICE", "HIS"),
        ),
        Item(
            "FW-DC-01",
            "数据中心防火墙01",
            K.NETWORK_DEVICE,
            CRIT,
            MACHINE_ROOM,
            "IT",
            "网络组",
            ("OFFICE", "MEDINS"),
        ),
        Item(
            "FW-DC-02",
            "数据中心防火墙02",
            K.NETWORK_DEVICE,
            CRIT,
            MACHINE_ROOM,
            "IT",
            "网络组",
            ("OFFICE", "MEDINS"),
        ),
        Item(
            "FW-YB-01",
            "医保专网防火墙",
            K.NETWORK_DEVICE,
            CRIT,
            MACHINE_ROOM,
            "IT",
            "网络组",
            ("MEDINS",),
        ),
        Item(
            "AC-WLAN-01",
            "无线控制器01",
            K.NETWORK_DEVICE,
            HIGH,
            MACHINE_ROOM,
            "IT",
            "网络组",
            ("OFFICE",),
        ),
        Item(
            "AC-WLAN-02",
            "无线控制器02",
            K.NETWORK_DEVICE,
            HIGH,
            DR_ROOM,
            "IT",
            "网络组",
            ("OFFICE",),
        ),
    ]
    items += [
        Item(
            "SW-DC-%02d" % n,
            "数据中心接入交换机%02d" % n,
            K.NETWORK_DEVICE,
            HIGH,
            MACHINE_ROOM,
            "IT",
            "网络组",
            ("OFFICE",),
        )
        for n in range(1, 5)
    ]
    floors = (
        [("OPD", "门诊楼", f, "OPD") for f in range(1, 7)]
        + [("ED", "急诊楼", 1, "ED")]
        + [("IPA", "住院楼A座", f, "IPD") for f in (1, 2, 3, 8, 9, 10, 11, 12, 13)]
        + [("IPB", "住院楼B座", f, "IPD") for f in (4, 5, 7, 8, 9, 10, 11, 12)]
        + [("MT", "医技楼", f, "RAD") for f in range(1, 5)]
        + [("ADM", "行政楼", f, "IT") for f in range(2, 7)]
    )
    items += [
        Item(
            "SW-%s-%02dF" % (code, floor),
            "%s%d层接入交换机" % (building, floor),
            K.NETWORK_DEVICE,
            HIGH,
            "%s%d层 弱电间" % (building, floor),
            dept,
            "网络组",
            ("OFFICE",),
        )
        for code, building, floor, dept in floors
    ]
    return items


# Clinical departments with a nurse station and doctors' workstations; (code, short name)
WARDS: tuple[tuple[str, str], ...] = (
    ("CARD", "心内科"),
    ("RESP", "呼吸内科"),
    ("GI", "消化内科"),
    ("NEURO", "神经内科"),
    ("ENDO", "内分泌科"),
    ("NEPH", "肾内科"),
    ("GS", "普外科"),
    ("ORTH", "骨科"),
    ("NSURG", "神经外科"),
    ("URO", "泌尿外科"),
    ("CTS", "心胸外科"),
    ("ED", "急诊科"),
    ("ICU", "重症医学科"),
    ("OBGYN", "妇产科"),
    ("PED", "儿科"),
    ("REHAB", "康复医学科"),
    ("ANES", "麻醉科"),
)
CLINICS: tuple[tuple[str, str], ...] = (
    ("OPH", "眼科"),
    ("ENT", "耳鼻咽喉科"),
    ("STOM", "口腔科"),
    ("DERM", "皮肤科"),
    ("TCM", "中医科"),
)


def _endpoints(locations: dict[str, str]) -> list[Item]:
    """Workstations, printers and kiosks where the staff work."""
    items: list[Item] = []
    for code, short in WARDS:
        place = locations[code]
        station = "分诊台" if code == "ED" else "护士站"
        for n in (1, 2):
            items.append(
                Item(
                    "WS-%s-NS%02d" % (code, n),
                    "%s%s电脑%d" % (short, station, n),
                    K.WORKSTATION,
                    MED,
                    "%s %s" % (place, station),
                    code,
                    "桌面运维组",
                    ("HIS", "EMR"),
                )
            )
        for n in (1, 2):
            items.append(
                Item(
                    "WS-%s-DR%02d" % (code, n),
                    "%s医生工作站%d" % (short, n),
                    K.WORKSTATION,
                    MED,
                    "%s 医生办公室" % place,
                    code,
                    "桌面运维组",
                    ("HIS", "EMR", "PACS"),
                )
            )
        items.append(
            Item(
                "PRN-%s-001" % code,
                "%s%s条码打印机" % (short, station),
                K.PRINTER,
                MED,
                "%s %s" % (place, station),
                code,
                "桌面运维组",
                ("HIS", "LIS"),
            )
        )
        items.append(
            Item(
                "PRN-%s-002" % code,
                "%s腕带打印机" % short,
                K.PRINTER,
                MED,
                "%s %s" % (place, station),
                code,
                "桌面运维组",
                ("HIS",),
            )
        )
    items += [
        Item(
            "PRN-ED-003",
            "急诊分诊台条码打印机（备用）",
            K.PRINTER,
            HIGH,
            "急诊楼1层 分诊台",
            "ED",
            "桌面运维组",
            ("HIS",),
        ),
        Item(
            "PRN-ED-004",
            "急诊抢救室激光打印机",
            K.PRINTER,
            MED,
            "急诊楼1层 抢救室",
            "ED",
            "桌面运维组",
            ("OFFICE",),
        ),
    ]
    for code, short in CLINICS:
        place = locations[code]
        for n in (1, 2, 3):
            items.append(
                Item(
                    "WS-%s-DR%02d" % (code, n),
                    "%s诊室%d电脑" % (short, n),
                    K.WORKSTATION,
                    MED,
                    "%s %s诊室%d" % (place, short, n),
                    code,
                    "桌面运维组",
                    ("HIS", "EMR"),
                )
            )
        items.append(
            Item(
                "PRN-%s-001" % code,
                "%s诊室打印机" % short,
                K.PRINTER,
                LOW,
                "%s %s诊区" % (place, short),
                code,
                "桌面运维组",
                ("HIS",),
            )
        )
    for floor, windows in ((1, 6), (2, 2), (3, 2)):
        for n in range(1, windows + 1):
            code = "WS-CASH-%d%02d" % (floor, n)
            place = "门诊楼%d层 收费处 %d号窗口" % (floor, n)
            items.append(
                Item(
                    code,
                    "收费窗口电脑（%d层%d号）" % (floor, n),
                    K.WORKSTATION,
                    HIGH,
                    place,
                    "CASH",
                    "桌面运维组",
                    ("HIS", "MEDINS"),
                )
            )
            items.append(
                Item(
                    code.replace("WS-", "PRN-"),
                    "发票打印机（%d层%d号窗口）" % (floor, n),
                    K.PRINTER,
                    HIGH,
                    place,
                    "CASH",
                    "桌面运维组",
                    ("HIS",),
                )
            )
    more = (
        ("WS-PHARM-%02d", "门诊药房发药电脑%d", "门诊楼1层 门诊药房", "PHARM", 4, ("HIS",)),
        ("WS-LAB-%02d", "检验科工作站%d", "医技楼3层 检验科", "LAB", 4, ("LIS",)),
        (
            "WS-RAD-%02d",
            "放射科诊断报告工作站%d",
            "医技楼1层 放射科读片室",
            "RAD",
            4,
            ("PACS", "RIS"),
        ),
        ("WS-US-%02d", "超声报告工作站%d", "医技楼2层 超声医学科", "US", 3, ("RIS", "PACS")),
        (
            "WS-IPD-%02d",
            "住院登记结算电脑%d",
            "住院楼A座1层 住院服务中心",
            "IPD",
            3,
            ("HIS", "MEDINS"),
        ),
        ("WS-PATH-%02d", "病理科工作站%d", "医技楼4层 病理科", "PATH", 2, ("LIS",)),
    )
    for pattern, name, place, dept, count, services in more:
        for n in range(1, count + 1):
            items.append(
                Item(pattern % n, name % n, K.WORKSTATION, MED, place, dept, "桌面运维组", services)
            )
    items += [
        Item(
            "PRN-LAB-001",
            "检验科标本条码打印机",
            K.PRINTER,
            HIGH,
            "医技楼3层 标本接收处",
            "LAB",
            "桌面运维组",
            ("LIS",),
        ),
        Item(
            "PRN-LAB-002",
            "门诊采血处条码打印机",
            K.PRINTER,
            HIGH,
            "门诊楼2层 采血处",
            "LAB",
            "桌面运维组",
            ("LIS",),
        ),
        Item(
            "PRN-PHARM-001",
            "门诊药房处方打印机",
            K.PRINTER,
            MED,
            "门诊楼1层 门诊药房",
            "PHARM",
            "桌面运维组",
            ("HIS",),
        ),
        Item(
            "PRN-RAD-001",
            "放射科胶片打印机",
            K.PRINTER,
            HIGH,
            "医技楼1层 放射科",
            "RAD",
            "桌面运维组",
            ("PACS",),
        ),
        Item(
            "PRN-IPD-001",
            "住院结算发票打印机",
            K.PRINTER,
            MED,
            "住院楼A座1层 住院服务中心",
            "IPD",
            "桌面运维组",
            ("HIS",),
        ),
    ]
    kiosks = (
        ("KSK-OPD-1F-%02d", "门诊1层自助机%02d", "门诊楼1层 大厅", "OPD", 6),
        ("KSK-OPD-2F-%02d", "门诊2层自助机%02d", "门诊楼2层 候诊区", "OPD", 3),
        ("KSK-OPD-3F-%02d", "门诊3层自助机%02d", "门诊楼3层 候诊区", "OPD", 2),
        ("KSK-ED-%02d", "急诊自助机%02d", "急诊楼1层 大厅", "ED", 1),
        ("KSK-IPD-%02d", "住院自助结算机%02d", "住院楼A座1层 大厅", "IPD", 2),
        ("KSK-RPT-%02d", "报告自助打印机%02d", "医技楼1层 大厅", "OPD", 2),
    )
    for pattern, name, place, dept, count in kiosks:
        for n in range(1, count + 1):
            items.append(
                Item(
                    pattern % n,
                    name % n,
                    K.KIOSK,
                    MED,
                    place,
                    dept,
                    "桌面运维组",
                    ("KIOSK", "HIS", "MEDINS"),
                )
            )
    return items


def _device_interfaces() -> list[Item]:
    rows = (
        ("MDI-LAB-BC01", "生化分析仪接口（贝克曼 AU5800）", "医技楼3层 生化室", "LAB", ("LIS",)),
        ("MDI-LAB-HE01", "血细胞分析仪接口（迈瑞 BC-6800）", "医技楼3层 临检室", "LAB", ("LIS",)),
        ("MDI-LAB-IM01", "免疫分析仪接口（罗氏 e801）", "医技楼3层 免疫室", "LAB", ("LIS",)),
        ("MDI-LAB-UR01", "尿液分析仪接口", "医技楼3层 临检室", "LAB", ("LIS",)),
        ("MDI-LAB-CO01", "凝血分析仪接口", "医技楼3层 临检室", "LAB", ("LIS",)),
        (
            "MDI-RAD-CT01",
            "CT01 DICOM 接口（联影 uCT 760）",
            "医技楼1层 CT室",
            "RAD",
            ("PACS", "RIS"),
        ),
        ("MDI-RAD-CT02", "CT02 DICOM 接口（急诊CT）", "急诊楼1层 CT室", "RAD", ("PACS", "RIS")),
        ("MDI-RAD-MR01", "MR DICOM 接口（联影 uMR 780）", "医技楼1层 MR室", "RAD", ("PACS", "RIS")),
        ("MDI-RAD-DR01", "DR01 DICOM 接口", "医技楼1层 DR室", "RAD", ("PACS", "RIS")),
        ("MDI-RAD-DR02", "DR02 DICOM 接口（床旁）", "医技楼1层 DR室", "RAD", ("PACS", "RIS")),
        ("MDI-US-01", "超声仪 DICOM 接口01", "医技楼2层 超声医学科", "US", ("PACS", "RIS")),
        ("MDI-US-02", "超声仪 DICOM 接口02", "医技楼2层 超声医学科", "US", ("PACS", "RIS")),
        ("MDI-ENDOS-01", "内镜图文工作站接口", "医技楼2层 内镜中心", "ENDOS", ("PACS",)),
        ("MDI-ICU-MON01", "ICU监护中心站网关", "住院楼A座3层 重症医学科", "ICU", ("EMR",)),
        ("MDI-ED-MON01", "急诊抢救室监护网关", "急诊楼1层 抢救室", "ED", ("EMR",)),
        ("MDI-ANES-01", "手术麻醉系统设备网关", "住院楼B座4层 手术室", "ANES", ("EMR",)),
    )
    return [
        Item(code, name, K.MEDICAL_DEVICE_INTERFACE, HIGH, place, dept, "应用组", services)
        for code, name, place, dept, services in rows
    ]


def load_services(groups: dict[str, SupportGroup]) -> dict[str, Service]:
    services: dict[str, Service] = {}
    for code, name, description, criticality, owner in SERVICES:
        services[code], _ = Service.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "description": description,
                "criticality": criticality,
                "owner_group": groups[owner],
            },
        )
    return services


def create_items(
    specs: list[Item],
    departments: dict[str, Department],
    groups: dict[str, SupportGroup],
    services: dict[str, Service],
) -> int:
    """Create the items the database does not have yet (by code), in bulk, each in the
    location item its place text names (`Places`); returns how many."""
    existing = set(ConfigurationItem.objects.values_list("code", flat=True))
    new = [spec for spec in specs if spec.code not in existing]
    places = Places()
    located = [places.resolve(spec.location) for spec in new]
    created = ConfigurationItem.objects.bulk_create(
        ConfigurationItem(
            code=spec.code,
            name=spec.name,
            ci_class_id=spec.ci_class,
            criticality=spec.criticality,
            location=location,
            position=position,
            department=departments[spec.department],
            owner_group=groups[spec.owner],
            attributes=spec.attributes,
        )
        for spec, (location, position) in zip(new, located, strict=True)
    )
    through = ConfigurationItem.services.through
    through.objects.bulk_create(
        through(configurationitem_id=item.pk, service_id=services[code].pk)
        for item, spec in zip(created, new, strict=True)
        for code in spec.services
    )
    return len(created)


def load_configuration_items(
    departments: dict[str, Department],
    groups: dict[str, SupportGroup],
    services: dict[str, Service],
) -> dict[str, ConfigurationItem]:
    """Create the CIs the database does not have yet (by code), in two bulk inserts."""
    locations = {code: dept.location for code, dept in departments.items()}
    specs = _data_centre() + _network() + _endpoints(locations) + _device_interfaces()
    create_items(specs, departments, groups, services)
    return ConfigurationItem.objects.in_bulk([spec.code for spec in specs], field_name="code")
