"""The classes and attributes a hospital's CMDB starts with, installed by migration and
kept by code: the relationship rules (`itsm.cmdb.relationships`) and the demo name them.
Administrators add subclasses and attributes beside them; `install` only adds what is
missing and never changes what an administrator edited."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# (code, 中文名, English name, parent code)
CLASSES: tuple[tuple[str, str, str, str], ...] = (
    ("business_service", "业务服务", "Business service", ""),
    ("application", "应用系统", "Application", ""),
    ("database", "数据库", "Database", ""),
    ("server", "服务器", "Server", ""),
    ("physical_server", "物理服务器", "Physical server", "server"),
    ("virtual_server", "虚拟机", "Virtual machine", "server"),
    ("storage", "存储", "Storage", ""),
    ("network_device", "网络设备", "Network device", ""),
    ("switch", "交换机", "Switch", "network_device"),
    ("router", "路由器", "Router", "network_device"),
    ("firewall", "防火墙", "Firewall", "network_device"),
    ("wireless_ap", "无线接入点", "Wireless access point", "network_device"),
    ("workstation", "工作站", "Workstation", ""),
    ("printer", "打印机", "Printer", ""),
    ("barcode_printer", "条码打印机", "Barcode printer", "printer"),
    ("kiosk", "自助机", "Self-service kiosk", ""),
    ("medical_device_interface", "医疗设备接口", "Medical device interface", ""),
    ("software_licence", "软件许可", "Software licence", ""),
    ("location", "位置", "Location", ""),
    ("campus", "院区", "Campus", "location"),
    ("building", "楼宇", "Building", "location"),
    ("floor", "楼层", "Floor", "location"),
    ("room", "房间", "Room", "location"),
)


@dataclass(frozen=True)
class Attr:
    code: str
    name: str
    name_en: str
    type: str
    choices: tuple[str, ...] = ()
    required: bool = False
    reference_class: str = ""


DATABASE_ENGINES = (
    "Oracle",
    "SQL Server",
    "MySQL",
    "PostgreSQL",
    "达梦 DM",
    "人大金仓 KingbaseES",
    "InterSystems Caché",
)

ATTRIBUTES: dict[str, tuple[Attr, ...]] = {
    "application": (
        Attr("software_version", "版本", "Version", "text"),
        Attr(
            "protection_level",
            "等保级别",
            "Classified protection level",
            "choice",
            ("二级", "三级", "四级"),
        ),
        Attr("access_url", "访问地址", "Address", "text"),
    ),
    "database": (
        Attr("engine", "数据库类型", "Engine", "choice", DATABASE_ENGINES, required=True),
        Attr("software_version", "版本", "Version", "text"),
        Attr("port", "端口", "Port", "number"),
    ),
    "server": (
        Attr("os", "操作系统", "Operating system", "text"),
        Attr("cpu_cores", "CPU 核数", "CPU cores", "number"),
        Attr("memory_gb", "内存 (GB)", "Memory (GB)", "number"),
        Attr("management_ip", "管理 IP", "Management IP", "ip"),
    ),
    "storage": (
        Attr("capacity_tb", "容量 (TB)", "Capacity (TB)", "number"),
        Attr(
            "raid_level",
            "RAID 级别",
            "RAID level",
            "choice",
            ("RAID 1", "RAID 5", "RAID 6", "RAID 10"),
        ),
    ),
    "network_device": (
        Attr("model", "型号", "Model", "text"),
        Attr("ports", "端口数", "Ports", "number"),
        Attr("management_ip", "管理 IP", "Management IP", "ip"),
    ),
    "workstation": (
        Attr("os", "操作系统", "Operating system", "text"),
        Attr("mac_address", "MAC 地址", "MAC address", "text"),
    ),
    "printer": (
        Attr("model", "型号", "Model", "text"),
        Attr("connection", "连接方式", "Connection", "choice", ("USB", "网络", "串口")),
    ),
    "barcode_printer": (Attr("label_width_mm", "标签宽度 (mm)", "Label width (mm)", "number"),),
    "kiosk": (
        Attr("model", "型号", "Model", "text"),
        Attr("functions", "功能", "Functions", "text"),
    ),
    "medical_device_interface": (
        Attr("device_model", "设备型号", "Device model", "text"),
        Attr(
            "protocol",
            "接口协议",
            "Protocol",
            "choice",
            ("HL7 v2", "DICOM", "ASTM", "串口 RS-232", "其他"),
        ),
    ),
    "software_licence": (
        Attr("seats", "授权数", "Seats", "number"),
        Attr("expires_on", "到期日", "Expires on", "date"),
        Attr("licensed_to", "授权给", "Licensed to", "reference", reference_class="application"),
    ),
    "floor": (Attr("level", "层号", "Level", "number"),),
    "room": (Attr("room_number", "房间号", "Room number", "text"),),
}


def install(ci_class_model: Any, attribute_model: Any) -> None:
    """Add the built-in classes and attributes that are missing (models passed in, so a
    migration can give its historical ones)."""
    existing = {c.code: c for c in ci_class_model.objects.all()}
    for code, name, name_en, parent in CLASSES:
        if code not in existing:
            existing[code] = ci_class_model.objects.create(
                code=code,
                name=name,
                name_en=name_en,
                parent=existing[parent] if parent else None,
                builtin=True,
            )
    have = set(attribute_model.objects.values_list("ci_class__code", "code"))
    for class_code, attributes in ATTRIBUTES.items():
        for order, attr in enumerate(attributes, start=1):
            if (class_code, attr.code) in have:
                continue
            attribute_model.objects.create(
                ci_class=existing[class_code],
                code=attr.code,
                name=attr.name,
                name_en=attr.name_en,
                type=attr.type,
                choices=list(attr.choices),
                required=attr.required,
                reference_class=existing[attr.reference_class] if attr.reference_class else None,
                order=order * 10,
            )
