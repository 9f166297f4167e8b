"""The incident categories a hospital IT service desk starts with. Administrators rename,
add and retire them in the admin afterwards; the codes are what the demo data, the API and
reports refer to."""

from django.db import migrations

# (code, name, English name, children)
TREE = (
    (
        "hardware",
        "硬件",
        "Hardware",
        (
            ("computer", "电脑与外设", "Computers and peripherals"),
            ("printer", "打印机", "Printers"),
            ("kiosk", "自助机", "Self-service kiosks"),
            ("medical-device", "医疗设备接口", "Medical device interfaces"),
            ("server", "服务器与存储", "Servers and storage"),
        ),
    ),
    (
        "software",
        "软件",
        "Software",
        (
            ("his", "HIS", "HIS"),
            ("emr", "EMR 电子病历", "EMR"),
            ("pacs", "PACS/RIS 影像", "PACS/RIS imaging"),
            ("lis", "LIS 检验", "LIS laboratory"),
            ("medical-insurance", "医保接口", "Medical insurance interface"),
            ("database", "数据库与备份", "Databases and backups"),
            ("office", "办公软件", "Office software"),
            ("security", "病毒与终端安全", "Viruses and endpoint security"),
        ),
    ),
    (
        "network",
        "网络",
        "Network",
        (
            ("wired", "有线网络", "Wired network"),
            ("wireless", "无线网络", "Wireless network"),
            ("vpn", "VPN 与外联", "VPN and external links"),
        ),
    ),
    (
        "access",
        "账号与权限",
        "Accounts and access",
        (
            ("new-account", "开通账号", "New accounts"),
            ("password", "密码重置", "Password resets"),
            ("permission", "权限变更", "Access changes"),
        ),
    ),
    ("howto", "使用咨询", "How-to questions", ()),
    ("other", "其他", "Other", ()),
)


def seed_categories(apps, schema_editor):
    category = apps.get_model("incidents", "IncidentCategory")
    for code, name, name_en, children in TREE:
        parent, _created = category.objects.get_or_create(
            code=code, defaults={"name": name, "name_en": name_en}
        )
        for child_code, child_name, child_name_en in children:
            category.objects.get_or_create(
                code=child_code,
                defaults={"name": child_name, "name_en": child_name_en, "parent": parent},
            )


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0005_incident_category"),
    ]

    operations = [migrations.RunPython(seed_categories, migrations.RunPython.noop)]
