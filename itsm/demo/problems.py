"""The demo hospital's problems: recurring faults of a hospital's IT, some investigated to a
known error with a workaround, each linked to the demo incidents it explains. Created through
the problem services; loading again adds only the problems missing by title."""

from __future__ import annotations

from dataclasses import dataclass

from itsm.accounts.models import SupportGroup, User
from itsm.cmdb.models import Service
from itsm.incidents.models import Incident
from itsm.problems.choices import CauseCategory as C
from itsm.problems.choices import ProblemStatus as S
from itsm.problems.models import Problem
from itsm.problems.services import link_incidents_to_problem, raise_problem, transition_problem

LINKED_PER_PROBLEM = 6


@dataclass(frozen=True)
class DemoProblem:
    title: str
    service: str
    group: str
    impact: int
    urgency: int
    symptoms: str
    incident_words: str  # demo incidents whose title contains this are linked
    status: str
    root_cause: str = ""
    category: str = ""
    five_whys: str = ""
    workaround: str = ""
    resolution: str = ""
    change_number: str = ""


PROBLEMS: tuple[DemoProblem, ...] = (
    DemoProblem(
        "HIS 挂号条码打印机驱动与打印控件不兼容导致不出纸",
        "HIS",
        "桌面运维组",
        2,
        2,
        "各科室条码打印机打印时红灯闪烁不出纸，重新装纸无效，重启电脑后恢复一段时间。",
        "条码打印机不出纸",
        S.KNOWN_ERROR,
        "Windows 更新后自动安装的新版斑马驱动与 HIS 打印控件的纸张尺寸定义不一致，"
        "走纸长度错误触发缺纸报警。",
        C.SOFTWARE,
        "1. 为什么不出纸？打印机报缺纸。\n"
        "2. 为什么报缺纸？走纸长度超过标签长度。\n"
        "3. 为什么走纸长度错？驱动纸张尺寸与控件不一致。\n"
        "4. 为什么驱动变了？Windows 更新自动安装了新驱动。\n"
        "5. 为什么会自动安装？终端未禁用驱动自动更新。",
        "在打印机属性中将纸张尺寸改为 50×30 mm 并执行“校准介质”；或回退到 5.1.07 版驱动。",
    ),
    DemoProblem(
        "PACS 影像调阅缓慢：存储阵列 IO 饱和",
        "PACS",
        "联影医疗 PACS 二线",
        2,
        2,
        "医生站打开 CT 影像需要一两分钟，上午 9–11 点最明显，放射科和临床科室都有反映。",
        "PACS影像调阅缓慢",
        S.ROOT_CAUSE_KNOWN,
        "在线存储阵列的 RAID 组有一块盘降级重建，同时近线迁移任务在白天运行，"
        "阵列 IO 等待超过 80%。",
        C.CAPACITY,
        "1. 为什么慢？取图等待存储。\n2. 为什么存储慢？IO 饱和。\n"
        "3. 为什么饱和？重建与迁移任务同时在高峰运行。\n"
        "4. 为什么迁移在白天？计划任务时间配置错误。",
    ),
    DemoProblem(
        "LIS 仪器接口间歇丢包，检验结果不能自动回传",
        "LIS",
        "杏和软件 LIS 二线",
        2,
        3,
        "生化仪结果偶发没有回传到 LIS，需要检验科手工录入，每周数次。",
        "未回传LIS",
        S.INVESTIGATING,
    ),
    DemoProblem(
        "医保结算接口在高峰期超时",
        "MEDINS",
        "应用组",
        1,
        2,
        "每天 8:30–10:00 医保患者结算提示“交易超时”，自费患者正常，多个窗口同时出现。",
        "医保结算接口超时",
        S.KNOWN_ERROR,
        "医保前置机到医保局专线带宽 10M，高峰期并发结算时带宽占满；前置机连接池上限 20 过小。",
        C.NETWORK,
        "",
        "高峰期超时时等待 30 秒后在 HIS 中“重新上传”结算；窗口可先按自费预结算，事后冲正。",
    ),
    DemoProblem(
        "护士站电脑 Win10 蓝屏（0x0000007B）",
        "OFFICE",
        "桌面运维组",
        2,
        2,
        "多个病区护士站电脑使用中蓝屏重启，蓝屏代码 INACCESSIBLE_BOOT_DEVICE 0x0000007B。",
        "蓝屏",
        S.KNOWN_ERROR,
        "批量推送的存储控制器驱动与该批次主板的 AHCI 模式不兼容。",
        C.CONFIGURATION,
        "",
        "进入 BIOS 将 SATA 模式改为 AHCI 后开机，并卸载 KB 推送的 iaStorA 驱动。",
    ),
    DemoProblem(
        "病区无线网络频繁掉线，移动护理 PDA 扫码失败",
        "OFFICE",
        "网络组",
        2,
        2,
        "移动护理 PDA 和推车电脑在病区走廊频繁断线，扫码执行医嘱提示网络异常。",
        "无线网络频繁掉线",
        S.RESOLVED,
        "AP 信道规划重叠，相邻病区同信道干扰；AC 漫游阈值过低导致终端频繁重关联。",
        C.NETWORK,
        "",
        "",
        "重新规划 2.4G/5G 信道，调整漫游阈值并开启 802.11r。",
        "CHG0000003",
    ),
    DemoProblem(
        "门诊挂号收费早高峰卡顿",
        "HIS",
        "卫宁健康 HIS 二线",
        1,
        2,
        "早高峰每笔挂号收费要等 30 秒以上，多个窗口同时发生。",
        "挂号收费系统卡顿",
        S.INVESTIGATING,
    ),
    DemoProblem(
        "发票打印错位：打印机纸张定义被重置",
        "HIS",
        "桌面运维组",
        3,
        2,
        "收费处发票整体下移，金额打到框外，重启后不恢复。",
        "发票打印错位",
        S.KNOWN_ERROR,
        "打印服务器迁移后自定义纸张“门诊发票”丢失，驱动使用了 A4 默认尺寸。",
        C.CONFIGURATION,
        "",
        "在打印服务器属性中重新创建“门诊发票 241×93 mm”纸张并在 HIS 打印设置中选择它。",
    ),
    DemoProblem(
        "医嘱执行单打印空白",
        "HIS",
        "应用组",
        3,
        3,
        "护士站打印医嘱执行单打出空白页，其他单据正常。",
        "医嘱执行单打印空白",
        S.NEW,
    ),
    DemoProblem(
        "医保电子凭证扫码失败",
        "MEDINS",
        "应用组",
        2,
        2,
        "扫医保电子凭证提示“凭证无效”，患者刷新二维码后仍然失败。",
        "医保电子凭证扫码失败",
        S.CLOSED,
        "收费窗口扫码枪固件把二维码中的特殊字符按键盘布局转换，凭证串被改写。",
        C.HARDWARE,
        "",
        "",
        "统一升级扫码枪固件并设置为 USB-COM 模式。",
        "CHG0000001",
    ),
    DemoProblem(
        "CT 检查图像未上传 PACS",
        "PACS",
        "联影医疗 PACS 二线",
        2,
        1,
        "CT 检查完成后图像在 PACS 中查不到，需要技师手工重新发送。",
        "未上传PACS",
        S.INVESTIGATING,
    ),
    DemoProblem(
        "医生工作站开机慢、电子病历未响应",
        "EMR",
        "桌面运维组",
        3,
        3,
        "医生工作站开机十几分钟，打开电子病历经常未响应。",
        "开机很慢",
        S.CANCELLED,
    ),
)

ORDER = (S.NEW, S.INVESTIGATING, S.ROOT_CAUSE_KNOWN, S.KNOWN_ERROR, S.RESOLVED, S.CLOSED)


def _advance(problem: Problem, spec: DemoProblem, actor: User) -> None:
    if spec.status == S.CANCELLED:
        transition_problem(
            problem, "cancel", actor=actor, data={"reason": "与终端老化问题合并处理"}
        )
        return
    target = ORDER.index(spec.status)
    if target >= 1:
        problem = transition_problem(problem, "investigate", actor=actor)
    if target >= 2:
        data = {
            "root_cause": spec.root_cause,
            "cause_category": spec.category,
            "five_whys": spec.five_whys,
        }
        problem = transition_problem(problem, "root_cause", actor=actor, data=data)
    if target >= 3 and spec.workaround:
        problem = transition_problem(
            problem, "known_error", actor=actor, data={"workaround": spec.workaround}
        )
    if target >= 4:
        problem = transition_problem(
            problem,
            "resolve",
            actor=actor,
            data={"resolution_notes": spec.resolution, "change_number": spec.change_number},
        )
    if target >= 5:
        transition_problem(problem, "close", actor=actor)


def load_problems() -> int:
    """Raise the demo problems that do not exist yet; the number raised."""
    actor = User.objects.filter(username="manager1").first()
    if actor is None:
        return 0
    existing = set(Problem.objects.values_list("title", flat=True))
    services = Service.objects.in_bulk(field_name="code")
    groups = {g.name: g for g in SupportGroup.objects.all()}
    raised = 0
    for spec in PROBLEMS:
        if spec.title in existing:
            continue
        problem = raise_problem(
            {
                "title": spec.title,
                "impact": spec.impact,
                "urgency": spec.urgency,
                "service": services.get(spec.service),
                "assignment_group": groups.get(spec.group),
                "symptoms": spec.symptoms,
            },
            actor=actor,
        )
        incidents = Incident.objects.filter(title__contains=spec.incident_words).order_by(
            "-reported_at"
        )[:LINKED_PER_PROBLEM]
        if incidents:
            link_incidents_to_problem(problem, list(incidents), actor=actor)
        _advance(problem, spec, actor)
        raised += 1
    return raised
