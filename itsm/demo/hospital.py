"""The demo hospital's organisation: 某市第一人民医院, a 1,000-bed general hospital with its
departments, the IT department's support groups, the vendors that hold maintenance
contracts, and the people who sign in.

Everything is created with get_or_create on a natural key (department code, vendor name,
group name, username), so loading twice changes nothing. Records that already existed
before the demo ran (an `admin` made with createsuperuser, say) are used as they are and
never modified: roles, memberships and passwords are set only on records the demo creates.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group

from itsm.accounts.choices import SEPARATED_ROLES, DepartmentKind, Role, SupportTier
from itsm.accounts.models import Department, SupportGroup, User, Vendor

HOSPITAL_NAME = "某市第一人民医院"
EMAIL_DOMAIN = "hospital.local"

C = DepartmentKind.CLINICAL
M = DepartmentKind.MEDICAL_TECHNICAL
A = DepartmentKind.ADMINISTRATIVE

# (code, name, kind, cost centre, parent code, location, extension). Parents come first.
DEPARTMENTS: tuple[tuple[str, str, str, str, str, str, str], ...] = (
    ("IM", "大内科", C, "C1000", "", "住院楼A座", "6100"),
    ("SURG", "大外科", C, "C1100", "", "住院楼B座", "6200"),
    ("CARD", "心内科", C, "C1001", "IM", "住院楼A座8层", "6108"),
    ("RESP", "呼吸内科", C, "C1002", "IM", "住院楼A座9层", "6109"),
    ("GI", "消化内科", C, "C1003", "IM", "住院楼A座10层", "6110"),
    ("NEURO", "神经内科", C, "C1004", "IM", "住院楼A座11层", "6111"),
    ("ENDO", "内分泌科", C, "C1005", "IM", "住院楼A座12层", "6112"),
    ("NEPH", "肾内科", C, "C1006", "IM", "住院楼A座13层", "6113"),
    ("GS", "普外科", C, "C1101", "SURG", "住院楼B座8层", "6208"),
    ("ORTH", "骨科", C, "C1102", "SURG", "住院楼B座9层", "6209"),
    ("NSURG", "神经外科", C, "C1103", "SURG", "住院楼B座10层", "6210"),
    ("URO", "泌尿外科", C, "C1104", "SURG", "住院楼B座11层", "6211"),
    ("CTS", "心胸外科", C, "C1105", "SURG", "住院楼B座12层", "6212"),
    ("ED", "急诊科", C, "C1201", "", "急诊楼1层", "6120"),
    ("ICU", "重症医学科", C, "C1202", "", "住院楼A座3层", "6103"),
    ("OBGYN", "妇产科", C, "C1203", "", "住院楼B座5层", "6205"),
    ("PED", "儿科", C, "C1204", "", "住院楼B座7层", "6207"),
    ("OPH", "眼科", C, "C1205", "", "门诊楼4层", "6040"),
    ("ENT", "耳鼻咽喉科", C, "C1206", "", "门诊楼4层", "6041"),
    ("STOM", "口腔科", C, "C1207", "", "门诊楼5层", "6050"),
    ("DERM", "皮肤科", C, "C1208", "", "门诊楼5层", "6051"),
    ("TCM", "中医科", C, "C1209", "", "门诊楼5层", "6052"),
    ("ANES", "麻醉科", C, "C1210", "", "住院楼B座4层 手术室", "6204"),
    ("REHAB", "康复医学科", C, "C1211", "", "住院楼A座2层", "6102"),
    ("RAD", "放射科", M, "M2001", "", "医技楼1层", "6301"),
    ("US", "超声医学科", M, "M2002", "", "医技楼2层", "6302"),
    ("LAB", "检验科", M, "M2003", "", "医技楼3层", "6303"),
    ("PATH", "病理科", M, "M2004", "", "医技楼4层", "6304"),
    ("PHARM", "药剂科", M, "M2005", "", "门诊楼1层 门诊药房", "6010"),
    ("BLOOD", "输血科", M, "M2006", "", "医技楼3层", "6306"),
    ("ENDOS", "内镜中心", M, "M2007", "", "医技楼2层", "6307"),
    ("FIN", "财务科", A, "A3001", "", "行政楼4层", "6404"),
    ("OPD", "门诊部", A, "A3002", "", "门诊楼1层", "6001"),
    ("IPD", "住院部", A, "A3003", "", "住院楼A座1层 住院服务中心", "6101"),
    ("CASH", "收费处", A, "A3004", "FIN", "门诊楼1层 收费处", "6011"),
    ("MED", "医务科", A, "A3005", "", "行政楼3层", "6403"),
    ("NURS", "护理部", A, "A3006", "", "行政楼3层", "6413"),
    ("IT", "信息科", A, "A3007", "", "行政楼2层", "6402"),
    ("YB", "医保办", A, "A3008", "", "行政楼4层", "6414"),
    ("EQUIP", "设备科", A, "A3009", "", "行政楼5层", "6405"),
    ("PRES", "院长办公室", A, "A3010", "", "行政楼6层", "6406"),
    ("HR", "人事科", A, "A3011", "", "行政楼5层", "6415"),
    ("LOGI", "后勤保障部", A, "A3012", "", "后勤楼1层", "6501"),
)

# (name, contact, phone, e-mail)
VENDORS: tuple[tuple[str, str, str, str], ...] = (
    ("卫宁健康", "周志刚", "400-820-1081", "support@winning.example"),
    ("联影医疗", "陈思远", "400-600-6266", "service@united-imaging.example"),
    ("嘉和美康", "刘晓东", "400-810-2009", "support@bjgoodwill.example"),
    ("杏和软件", "黄伟", "400-700-0571", "support@xinghe.example"),
    ("华为技术", "孙浩", "400-822-9999", "support@huawei.example"),
    ("联想集团", "马丽", "400-990-8888", "service@lenovo.example"),
)

# (name, tier, vendor name or "")
GROUPS: tuple[tuple[str, str, str], ...] = (
    ("服务台", SupportTier.SERVICE_DESK, ""),
    ("桌面运维组", SupportTier.FRONT_LINE, ""),
    ("网络组", SupportTier.FRONT_LINE, ""),
    ("系统组", SupportTier.FRONT_LINE, ""),
    ("应用组", SupportTier.FRONT_LINE, ""),
    ("数据库二线", SupportTier.BACK_LINE, ""),
    ("卫宁健康 HIS 二线", SupportTier.BACK_LINE, "卫宁健康"),
    ("联影医疗 PACS 二线", SupportTier.BACK_LINE, "联影医疗"),
    ("嘉和美康 EMR 二线", SupportTier.BACK_LINE, "嘉和美康"),
    ("杏和软件 LIS 二线", SupportTier.BACK_LINE, "杏和软件"),
    ("华为网络二线", SupportTier.BACK_LINE, "华为技术"),
    ("联想终端维保", SupportTier.BACK_LINE, "联想集团"),
)


@dataclass(frozen=True)
class Person:
    username: str
    last_name: str  # family name
    first_name: str
    role: str
    department: str  # department code, "" for vendor engineers
    job_title: str
    groups: tuple[str, ...] = ()
    lead_of: tuple[str, ...] = ()


R = Role

IT_STAFF: tuple[Person, ...] = (
    Person("admin", "赵", "建国", R.ADMIN, "IT", "系统管理员"),
    # Separation of duties (三员): the security administrator assigns roles, the auditor
    # reads the audit log; neither is the system administrator.
    Person("secadmin1", "孙", "立新", R.SECURITY_ADMIN, "IT", "安全管理员"),
    Person("auditor1", "韩", "雪梅", R.AUDITOR, "IT", "安全审计员"),
    Person("manager1", "钱", "文华", R.MANAGER, "IT", "信息科科长"),
    Person("manager2", "孙", "丽娟", R.MANAGER, "IT", "信息科副科长"),
    Person("desk1", "李", "娜", R.AGENT, "IT", "服务台坐席", ("服务台",), ("服务台",)),
    Person("desk2", "周", "婷", R.AGENT, "IT", "服务台坐席", ("服务台",)),
    Person("desk3", "吴", "静", R.AGENT, "IT", "服务台坐席", ("服务台",)),
    Person("desk4", "郑", "晓燕", R.AGENT, "IT", "服务台坐席", ("服务台",)),
    Person("desk5", "冯", "佳", R.AGENT, "IT", "服务台坐席（夜班）", ("服务台",)),
    Person("desk6", "陈", "雪", R.AGENT, "IT", "服务台坐席（夜班）", ("服务台",)),
    Person(
        "eng1", "王", "磊", R.FRONT_LINE, "IT", "桌面运维工程师", ("桌面运维组",), ("桌面运维组",)
    ),
    Person("eng2", "刘", "洋", R.FRONT_LINE, "IT", "桌面运维工程师", ("桌面运维组",)),
    Person("eng3", "杨", "帆", R.FRONT_LINE, "IT", "桌面运维工程师", ("桌面运维组",)),
    Person("eng4", "黄", "志强", R.FRONT_LINE, "IT", "网络工程师", ("网络组",), ("网络组",)),
    Person("eng5", "徐", "超", R.FRONT_LINE, "IT", "网络工程师", ("网络组",)),
    Person("eng6", "朱", "明", R.FRONT_LINE, "IT", "系统工程师", ("系统组",), ("系统组",)),
    Person("eng7", "胡", "斌", R.FRONT_LINE, "IT", "系统工程师", ("系统组",)),
    Person("eng8", "林", "涛", R.FRONT_LINE, "IT", "应用工程师（HIS）", ("应用组",), ("应用组",)),
    Person("eng9", "何", "倩", R.FRONT_LINE, "IT", "应用工程师（EMR）", ("应用组",)),
    Person("eng10", "高", "鹏", R.FRONT_LINE, "IT", "应用工程师（PACS/LIS）", ("应用组",)),
    Person("dba1", "罗", "海", R.BACK_LINE, "IT", "数据库管理员", ("数据库二线",), ("数据库二线",)),
    Person("dba2", "梁", "斌", R.BACK_LINE, "IT", "数据库管理员", ("数据库二线",)),
    Person(
        "vendor1",
        "宋",
        "立新",
        R.BACK_LINE,
        "",
        "卫宁健康 驻场工程师",
        ("卫宁健康 HIS 二线",),
        ("卫宁健康 HIS 二线",),
    ),
    Person(
        "vendor2",
        "谢",
        "鹏飞",
        R.BACK_LINE,
        "",
        "联影医疗 PACS 工程师",
        ("联影医疗 PACS 二线",),
        ("联影医疗 PACS 二线",),
    ),
    Person(
        "vendor3",
        "韩",
        "冰",
        R.BACK_LINE,
        "",
        "嘉和美康 EMR 工程师",
        ("嘉和美康 EMR 二线",),
        ("嘉和美康 EMR 二线",),
    ),
    Person(
        "vendor4",
        "唐",
        "凯",
        R.BACK_LINE,
        "",
        "杏和软件 LIS 工程师",
        ("杏和软件 LIS 二线",),
        ("杏和软件 LIS 二线",),
    ),
    Person(
        "vendor5",
        "曹",
        "阳",
        R.BACK_LINE,
        "",
        "华为网络工程师",
        ("华为网络二线",),
        ("华为网络二线",),
    ),
    Person(
        "vendor6", "许", "亮", R.BACK_LINE, "", "卫宁健康 医保接口工程师", ("卫宁健康 HIS 二线",)
    ),
    Person("vendor7", "邓", "宇", R.BACK_LINE, "", "联影医疗 RIS 工程师", ("联影医疗 PACS 二线",)),
    Person(
        "vendor8",
        "彭",
        "飞",
        R.BACK_LINE,
        "",
        "联想服务工程师",
        ("联想终端维保",),
        ("联想终端维保",),
    ),
    # The account the monitoring platform logs alerts with.
    Person("monitor", "监控", "平台", R.AGENT, "IT", "Zabbix 告警接入账号"),
)

# Requesters: hospital staff who report faults. (username, family, given, department,
# job title). nurse1 works in the emergency department, as the demo logins promise.
REQUESTERS: tuple[tuple[str, str, str, str, str], ...] = (
    ("nurse1", "王", "芳", "ED", "急诊科护士"),
    ("nurse2", "张", "敏", "ED", "急诊科护士长"),
    ("nurse3", "刘", "艳", "CARD", "护士"),
    ("nurse4", "陈", "秀英", "RESP", "主管护师"),
    ("nurse5", "杨", "丽", "GI", "护士"),
    ("nurse6", "黄", "霞", "NEURO", "护师"),
    ("nurse7", "赵", "倩", "GS", "护士长"),
    ("nurse8", "周", "慧", "ORTH", "护士"),
    ("nurse9", "吴", "丹", "ICU", "主管护师"),
    ("nurse10", "徐", "梅", "OBGYN", "助产士"),
    ("nurse11", "孙", "雨桐", "PED", "护士"),
    ("nurse12", "马", "欣怡", "NEPH", "护士"),
    ("nurse13", "胡", "晓丽", "ENDO", "护士"),
    ("nurse14", "郭", "婷婷", "URO", "护师"),
    ("nurse15", "何", "雪梅", "ANES", "手术室护士"),
    ("nurse16", "高", "玲", "NURS", "护理部干事"),
    ("doctor1", "李", "强", "ED", "急诊科主治医师"),
    ("doctor2", "王", "伟", "CARD", "副主任医师"),
    ("doctor3", "张", "军", "RESP", "主治医师"),
    ("doctor4", "刘", "建华", "GS", "主任医师"),
    ("doctor5", "陈", "浩然", "ORTH", "住院医师"),
    ("doctor6", "杨", "子涵", "NSURG", "主治医师"),
    ("doctor7", "赵", "思远", "RAD", "放射科主治医师"),
    ("doctor8", "周", "杰", "US", "超声科医师"),
    ("doctor9", "吴", "勇", "PED", "儿科主治医师"),
    ("doctor10", "郑", "文", "OBGYN", "妇产科副主任医师"),
    ("doctor11", "王", "宁", "OPH", "眼科医师"),
    ("doctor12", "冯", "晨", "STOM", "口腔科医师"),
    ("doctor13", "蒋", "楠", "TCM", "中医科主治医师"),
    ("doctor14", "沈", "俊", "ICU", "重症医学科主治医师"),
    ("doctor15", "韩", "梅", "PATH", "病理科医师"),
    ("staff1", "唐", "红", "CASH", "收费员"),
    ("staff2", "曹", "芸", "CASH", "收费员"),
    ("staff3", "许", "佳琪", "PHARM", "药师"),
    ("staff4", "邓", "磊", "LAB", "检验技师"),
    ("staff5", "冯", "亮", "RAD", "放射技师"),
    ("staff6", "彭", "娟", "IPD", "住院登记员"),
    ("staff7", "蔡", "涛", "YB", "医保办科员"),
    ("staff8", "潘", "琳", "MED", "医务科干事"),
    ("staff9", "田", "勇", "FIN", "会计"),
    ("staff10", "董", "燕", "OPD", "门诊部导医"),
    ("staff11", "袁", "伟", "EQUIP", "设备科工程师"),
    ("staff12", "于", "静", "BLOOD", "输血科技师"),
)


def load_departments() -> dict[str, Department]:
    departments: dict[str, Department] = {}
    for code, name, kind, cost_centre, parent, location, phone in DEPARTMENTS:
        departments[code], _ = Department.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "kind": kind,
                "cost_centre": cost_centre,
                "parent": departments.get(parent),
                "location": location,
                "phone": phone,
            },
        )
    return departments


def _phone(index: int) -> str:
    """A made-up but well-formed mobile number, stable per person."""
    return "139%08d" % (57100000 + index * 7919 % 1000000)


def load_users(
    departments: dict[str, Department], password: str
) -> tuple[dict[str, User], set[str]]:
    """Create the people; returns them by username and the usernames created now. One
    password hash is computed and shared: hashing is deliberately slow (about half a second
    each), the demo accounts share one password anyway, and 70 hashes would take longer
    than the rest of the demo together."""
    hashed = make_password(password)
    roles = {str(role): Group.objects.get(name=str(role)) for role in Role}
    people = list(IT_STAFF) + [
        Person(username, family, given, R.REQUESTER, dept, title)
        for username, family, given, dept, title in REQUESTERS
    ]
    users: dict[str, User] = {}
    created_now: set[str] = set()
    for index, person in enumerate(people):
        department = departments.get(person.department)
        user, created = User.objects.get_or_create(
            username=person.username,
            defaults={
                "last_name": person.last_name,
                "first_name": person.first_name,
                "department": department,
                "job_title": person.job_title,
                "phone": _phone(index),
                "email": "%s@%s" % (person.username, EMAIL_DOMAIN) if department else "",
                "password": hashed,
                # The administration pages; nobody is a superuser: roles carry the rights.
                "is_staff": person.role in SEPARATED_ROLES,
            },
        )
        if created:
            user.groups.add(roles[str(person.role)])
            created_now.add(person.username)
        users[person.username] = user
    return users, created_now


def load_vendors_and_groups(users: dict[str, User], new_users: set[str]) -> dict[str, SupportGroup]:
    """Vendors, then support groups with their leads; people the demo created join their
    groups (people who existed before are left as they were)."""
    vendors: dict[str, Vendor] = {}
    for name, contact, phone, email in VENDORS:
        vendors[name], _ = Vendor.objects.get_or_create(
            name=name, defaults={"contact_name": contact, "phone": phone, "email": email}
        )
    leads = {group: users[p.username] for p in IT_STAFF for group in p.lead_of}
    groups: dict[str, SupportGroup] = {}
    for name, tier, vendor in GROUPS:
        groups[name], _ = SupportGroup.objects.get_or_create(
            name=name,
            defaults={"tier": tier, "vendor": vendors.get(vendor), "lead": leads.get(name)},
        )
    for person in IT_STAFF:
        if person.username in new_users:
            for name in person.groups:
                groups[name].members.add(users[person.username])
    return groups
