<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>ArchiveKeeper</name>
    <message>
        <location filename="../../../desktop/archive/keeper.py" line="59"/>
        <source>Rebuilding the archive&apos;s index</source>
        <extracomment>The study list follows arrivals at most this often. Retention runs once the receiving node has been quiet this long. The message of the :class:`~core.jobs.Progress` an opening&apos;s index rebuild emits (a key: compared, and shown through :func:`progress_words`).</extracomment>
        <translation>正在重建本地归档索引</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/keeper.py" line="61"/>
        <source>Opening the study archive</source>
        <extracomment>The message of the Progress an opening emits first.</extracomment>
        <translation>正在打开检查归档</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/keeper.py" line="80"/>
        <source>Rebuilding the archive&apos;s index…</source>
        <translation>正在重建本地归档索引…</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/keeper.py" line="82"/>
        <source>Rebuilding the archive&apos;s index: {done} of 1 file</source>
        <translation>正在重建本地归档索引：{done}/1 个文件</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/keeper.py" line="85"/>
        <source>Rebuilding the archive&apos;s index: {done} of {total} files</source>
        <translation>正在重建本地归档索引：{done}/{total} 个文件</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/keeper.py" line="272"/>
        <source>Rebuilding the study archive&apos;s index was cancelled; it is rebuilt the next time the study archive opens.</source>
        <extracomment>Study UIDs that retention and delete must leave alone (the study open now). True while the opening job rebuilds the index (its progress says so).</extracomment>
        <translation>检查归档索引的重建已取消；下次打开检查归档时将重新重建。</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/keeper.py" line="278"/>
        <source>The study archive could not be opened: {reason}</source>
        <translation>无法打开检查归档：{reason}</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/keeper.py" line="316"/>
        <source>Cancelled.</source>
        <translation>已取消。</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/keeper.py" line="361"/>
        <source>The archive could not be kept under its limit: {reason}</source>
        <translation>无法将本地归档控制在容量上限内：{reason}</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/keeper.py" line="373"/>
        <source>1 least recently opened study was removed to keep the archive under {limit} GB.</source>
        <translation>为使本地归档不超过 {limit} GB，已删除 1 个最久未打开的检查。</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/keeper.py" line="378"/>
        <source>{count} least recently opened studies were removed to keep the archive under {limit} GB.</source>
        <translation>为使本地归档不超过 {limit} GB，已删除 {count} 个最久未打开的检查。</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/keeper.py" line="386"/>
        <source>The archive holds {size} GB, over its {limit} GB limit: {count} studies with an unsigned report draft (or open now) are kept. Sign or discard their drafts, or raise the limit in Settings → Study Archive.</source>
        <translation>本地归档已占用 {size} GB，超过 {limit} GB 的上限：{count} 个检查有未签署的报告草稿（或正在打开），已保留。请签署或放弃这些草稿，或在“设置 → 检查归档”中提高上限。</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/keeper.py" line="443"/>
        <source>Studies pushed to this workstation cannot be received: {reason}</source>
        <translation>无法接收推送到本工作站的检查：{reason}</translation>
    </message>
</context>
<context>
    <name>ArchiveMenus</name>
    <message>
        <location filename="../../../desktop/archive/menu_slots.py" line="96"/>
        <source>Open a study to export it.</source>
        <extracomment>What the app writes into the export folder for a study: report and findings SR (core.report.export, core.analysis.export), heatmaps, presentation states.</extracomment>
        <translation>请先打开一个检查，再导出。</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/menu_slots.py" line="140"/>
        <source>Open a study to send its results.</source>
        <translation>请先打开一个检查，再发送其结果。</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/menu_slots.py" line="149"/>
        <source>There is nothing to send yet: sign and export the report (DICOM SR), export the AI results or the annotations (GSPS) first.</source>
        <translation>暂无可发送的内容：请先签署并导出报告（DICOM SR），或导出 AI 结果或标注（GSPS）。</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/menu_slots.py" line="164"/>
        <source>The results could not be gathered: {reason}</source>
        <translation>无法收集结果：{reason}</translation>
    </message>
</context>
<context>
    <name>ArchiveSettingsDialog</name>
    <message>
        <location filename="../../../desktop/archive/settings_dialog.py" line="51"/>
        <source>Study Archive</source>
        <translation>检查归档</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/settings_dialog.py" line="59"/>
        <source>no limit</source>
        <translation>不限</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/settings_dialog.py" line="63"/>
        <source>Over the limit, the least recently opened studies are removed after each import or reception; a study with an unsigned report draft is always kept.</source>
        <translation>超过上限时，每次导入或接收后会删除最久未打开的检查；有未签署报告草稿的检查始终保留。</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/settings_dialog.py" line="68"/>
        <source>Receive studies pushed to this workstation</source>
        <translation>接收推送到本工作站的检查</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/settings_dialog.py" line="71"/>
        <source>Reading our node…</source>
        <translation>正在读取本机节点…</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/settings_dialog.py" line="80"/>
        <source>Size limit:</source>
        <translation>容量上限：</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/settings_dialog.py" line="83"/>
        <source>Our node:</source>
        <translation>本机节点：</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/settings_dialog.py" line="97"/>
        <source>AE {ae_title}, no listening port: set one in Settings → DICOM Nodes to receive.</source>
        <translation>AE {ae_title}，未设置监听端口：如需接收，请在“设置 → DICOM 节点”中设置。</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/settings_dialog.py" line="100"/>
        <source>AE {ae_title}, port {port}</source>
        <translation>AE {ae_title}，端口 {port}</translation>
    </message>
</context>
<context>
    <name>ArchiveWindowPart</name>
    <message>
        <location filename="../../../desktop/archive/window_part.py" line="63"/>
        <source>Study List</source>
        <translation>检查列表</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/window_part.py" line="115"/>
        <location filename="../../../desktop/archive/window_part.py" line="207"/>
        <source>study from the archive</source>
        <translation>来自本地归档的检查</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/window_part.py" line="158"/>
        <source>{series} series, {images} images</source>
        <translation>{series} 个序列，{images} 幅图像</translation>
    </message>
</context>
<context>
    <name>PriorBanner</name>
    <message>
        <location filename="../../../desktop/archive/priors.py" line="173"/>
        <source>Compare</source>
        <translation>对比</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/priors.py" line="175"/>
        <source>Scroll together by stack position</source>
        <translation>按层面位置同步翻页</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/priors.py" line="182"/>
        <source>✕</source>
        <comment>the banner&apos;s close button</comment>
        <translation>✕</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/priors.py" line="183"/>
        <source>Dismiss</source>
        <translation>关闭</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/priors.py" line="189"/>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
</context>
<context>
    <name>PriorOffer</name>
    <message>
        <location filename="../../../desktop/archive/priors.py" line="133"/>
        <source>the password or token of {node} was not given this session</source>
        <translation>本次会话未提供 {node} 的密码或令牌</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/priors.py" line="312"/>
        <source>The PACS could not be asked: {reason}</source>
        <extracomment>Where the offered prior is when only the PACS has it (None: in the archive). Why the PACS could not be asked for priors of the open study (``&quot;&quot;``: it was, or no query node is configured); None until it has answered.</extracomment>
        <translation>无法查询 PACS：{reason}</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/priors.py" line="336"/>
        <source>Prior on PACS: {prior}</source>
        <translation>PACS 上的既往检查：{prior}</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/priors.py" line="338"/>
        <location filename="../../../desktop/archive/priors.py" line="530"/>
        <source>Prior: {prior}</source>
        <translation>既往检查：{prior}</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/priors.py" line="343"/>
        <source>Retrieve and compare</source>
        <translation>获取并对比</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/priors.py" line="346"/>
        <source>Retrieve the study from {node} into the study archive, then show it beside this one</source>
        <translation>从 {node} 获取该检查到检查归档，然后与当前检查并排显示</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/priors.py" line="381"/>
        <source>Loading the prior…</source>
        <translation>正在载入既往检查…</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/priors.py" line="392"/>
        <source>The prior could not be opened: {reason}</source>
        <translation>无法打开既往检查：{reason}</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/priors.py" line="418"/>
        <source>Not retrieved: the password or token was not given.</source>
        <translation>未获取：未提供密码或令牌。</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/priors.py" line="431"/>
        <source>Retrieving the prior from {node}…</source>
        <translation>正在从 {node} 获取既往检查…</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/priors.py" line="470"/>
        <source>Retrieving the prior: {received} of {expected} images</source>
        <translation>正在获取既往检查：{received}/{expected} 幅图像</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/priors.py" line="474"/>
        <source>Retrieving the prior: {received} images</source>
        <translation>正在获取既往检查：{received} 幅图像</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/priors.py" line="500"/>
        <source>{count} images could not be stored</source>
        <translation>{count} 幅图像无法存储</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/priors.py" line="504"/>
        <source>The prior could not be retrieved: {reason} ({got} of {expected} images arrived and are kept)</source>
        <translation>无法获取既往检查：{reason}（已收到 {got}/{expected} 幅图像，均已保留）</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/priors.py" line="510"/>
        <source>The prior could not be retrieved: {reason} ({got} images arrived and are kept)</source>
        <translation>无法获取既往检查：{reason}（已收到 {got} 幅图像，均已保留）</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/priors.py" line="516"/>
        <location filename="../../../desktop/archive/priors.py" line="556"/>
        <source>The prior could not be retrieved: {reason}</source>
        <translation>无法获取既往检查：{reason}</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/priors.py" line="520"/>
        <location filename="../../../desktop/archive/priors.py" line="545"/>
        <source>Retrieve again</source>
        <translation>重新获取</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/priors.py" line="534"/>
        <source>Compare</source>
        <translation>对比</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/priors.py" line="536"/>
        <source>Retrieved into the study archive.</source>
        <translation>已获取到检查归档。</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/priors.py" line="549"/>
        <source>Retrieval cancelled: what arrived is kept in the archive; Retrieve again to fetch the rest.</source>
        <translation>获取已取消：已收到的内容保留在本地归档中；点击“重新获取”可获取其余部分。</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/priors.py" line="575"/>
        <source>The prior has no images to show.</source>
        <translation>既往检查中没有可显示的图像。</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/priors.py" line="599"/>
        <source>Scrolling in step (same frame of reference)</source>
        <translation>同步翻页（同一参考坐标系）</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/priors.py" line="606"/>
        <source>Different frames of reference</source>
        <translation>参考坐标系不同</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/priors.py" line="628"/>
        <source>Different frames of reference: linked by stack position</source>
        <translation>参考坐标系不同：按层面位置联动</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/priors.py" line="632"/>
        <source>Different frames of reference: not linked</source>
        <translation>参考坐标系不同：未联动</translation>
    </message>
</context>
<context>
    <name>ReceiverState</name>
    <message>
        <location filename="../../../desktop/archive/keeper.py" line="102"/>
        <source>Not receiving: {reason}</source>
        <translation>未在接收：{reason}</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/keeper.py" line="108"/>
        <source>1 instance</source>
        <translation>1 个实例</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/keeper.py" line="110"/>
        <source>{count} instances</source>
        <translation>{count} 个实例</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/keeper.py" line="113"/>
        <source>Receiving on AE {ae_title} port {port} · {count} received</source>
        <translation>正在接收：AE {ae_title}，端口 {port} · 已接收 {count}</translation>
    </message>
</context>
<context>
    <name>StudyExportDialog</name>
    <message>
        <location filename="../../../desktop/archive/export_dialog.py" line="54"/>
        <source>Keep the real dates and times (for follow-up across studies).</source>
        <extracomment>One line for each retained option of PS3.15 E.3 (RetainOption), shown beside it (English sources, shown translated: context &quot;StudyExportDialog&quot;).</extracomment>
        <translation>保留真实的日期和时间（便于跨检查随访）。</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/export_dialog.py" line="57"/>
        <source>Shift dates consistently: intervals between studies stay true.</source>
        <translation>统一平移日期：各检查之间的时间间隔保持不变。</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/export_dialog.py" line="60"/>
        <source>Keep age, sex, size, weight and smoking status.</source>
        <translation>保留年龄、性别、身高、体重和吸烟状况。</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/export_dialog.py" line="63"/>
        <source>Keep the scanner&apos;s make, model and serial numbers.</source>
        <translation>保留设备的厂商、型号和序列号。</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/export_dialog.py" line="66"/>
        <source>Keep the hospital&apos;s name and address.</source>
        <translation>保留医院名称和地址。</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/export_dialog.py" line="69"/>
        <source>Keep study and series descriptions, cleaned, instead of removing them.</source>
        <translation>保留清理后的检查和序列描述，而不是删除。</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/export_dialog.py" line="76"/>
        <source>Full dates</source>
        <extracomment>The name of each retained option as the dialog shows it (English sources).</extracomment>
        <translation>完整日期</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/export_dialog.py" line="77"/>
        <source>Modified dates</source>
        <translation>修改后的日期</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/export_dialog.py" line="78"/>
        <source>Patient characteristics</source>
        <translation>患者特征</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/export_dialog.py" line="81"/>
        <source>Device identity</source>
        <translation>设备标识</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/export_dialog.py" line="82"/>
        <source>Institution identity</source>
        <translation>机构标识</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/export_dialog.py" line="85"/>
        <source>Clean descriptors</source>
        <translation>清理后的描述</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/export_dialog.py" line="130"/>
        <source>Export Anonymised Study</source>
        <translation>导出匿名化检查</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/export_dialog.py" line="130"/>
        <source>Export Study to Media</source>
        <translation>导出检查到介质</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/export_dialog.py" line="137"/>
        <source>De-identify (DICOM PS3.15 Basic Application Level Confidentiality Profile)</source>
        <translation>去标识（DICOM PS3.15 基本应用级保密配置）</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/export_dialog.py" line="141"/>
        <source>Keep (retained options)</source>
        <translation>保留（保留选项）</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/export_dialog.py" line="145"/>
        <source>{option}: {explanation}</source>
        <translation>{option}：{explanation}</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/export_dialog.py" line="154"/>
        <source>Include flagged images (their pixels may show the patient&apos;s name or ID)</source>
        <translation>包含已标记的图像（其像素中可能显示患者姓名或 ID）</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/export_dialog.py" line="158"/>
        <source>Write a DICOMDIR (for a CD or USB stick)</source>
        <translation>写入 DICOMDIR（用于光盘或 U 盘）</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/export_dialog.py" line="163"/>
        <source>Browse…</source>
        <translation>浏览…</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/export_dialog.py" line="167"/>
        <source>Export to (a new or empty folder):</source>
        <translation>导出到（新建或空的文件夹）：</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/export_dialog.py" line="178"/>
        <source>What was exported, and every flagged image, shows here.</source>
        <translation>导出的内容及每幅已标记的图像将显示在这里。</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/export_dialog.py" line="182"/>
        <source>Export</source>
        <translation>导出</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/export_dialog.py" line="218"/>
        <source>Export to</source>
        <translation>导出到</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/export_dialog.py" line="233"/>
        <source>Choose the folder to export to.</source>
        <translation>请选择导出的目标文件夹。</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/export_dialog.py" line="255"/>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/export_dialog.py" line="258"/>
        <source>Exporting…</source>
        <translation>正在导出…</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/export_dialog.py" line="281"/>
        <source>The export was cancelled; nothing was written.</source>
        <translation>导出已取消，未写入任何文件。</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/export_dialog.py" line="283"/>
        <source>The study was not exported: {reason}</source>
        <translation>检查未导出：{reason}</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/export_dialog.py" line="289"/>
        <source>Close</source>
        <translation>关闭</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/export_dialog.py" line="310"/>
        <source>Exported {objects} objects of 1 study to {folder}</source>
        <translation>已将 1 个检查的 {objects} 个对象导出到 {folder}</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/export_dialog.py" line="314"/>
        <source>Exported {objects} objects of {count} studies to {folder}</source>
        <translation>已将 {count} 个检查的 {objects} 个对象导出到 {folder}</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/export_dialog.py" line="323"/>
        <source>unchanged</source>
        <translation>未作修改</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/export_dialog.py" line="325"/>
        <source>de-identified (PS3.15 Basic profile; kept: {options})</source>
        <translation>已去标识（PS3.15 基本配置；保留：{options}）</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/export_dialog.py" line="329"/>
        <source>de-identified (PS3.15 Basic profile)</source>
        <translation>已去标识（PS3.15 基本配置）</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/export_dialog.py" line="333"/>
        <source>{exported}, {how}, with a DICOMDIR.</source>
        <translation>{exported}，{how}，并写入 DICOMDIR。</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/export_dialog.py" line="337"/>
        <source>{exported}, {how}.</source>
        <translation>{exported}，{how}。</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/export_dialog.py" line="344"/>
        <source>1 image flagged for burned-in text:</source>
        <translation>1 幅图像被标记为含有烧录文字：</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/export_dialog.py" line="349"/>
        <source>{count} images flagged for burned-in text:</source>
        <translation>{count} 幅图像被标记为含有烧录文字：</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/export_dialog.py" line="355"/>
        <source>{file}: {reason} (INCLUDED on request)</source>
        <translation>{file}：{reason}（已按要求包含）</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/export_dialog.py" line="359"/>
        <source>{file}: {reason} (left out)</source>
        <translation>{file}：{reason}（未导出）</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/export_dialog.py" line="368"/>
        <source>To export them anyway, tick &quot;Include flagged images&quot; and export again to a new folder.</source>
        <translation>如仍需导出这些图像，请勾选“包含已标记的图像”，并重新导出到新文件夹。</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/export_dialog.py" line="376"/>
        <source>{count} files not exported:</source>
        <translation>{count} 个文件未导出：</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/export_dialog.py" line="380"/>
        <source>Files:</source>
        <translation>文件：</translation>
    </message>
</context>
<context>
    <name>StudyListPanel</name>
    <message>
        <location filename="../../../desktop/archive/study_list.py" line="76"/>
        <source>Copy into the archive</source>
        <extracomment>The search runs this long after the last key typed. At most this many studies are listed; typing narrows the list. One sentence for each way of importing (File → Study Archive → Import Folder…); English sources, shown translated (context &quot;StudyListPanel&quot;).</extracomment>
        <translation>复制到本地归档</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/study_list.py" line="77"/>
        <source>The files are copied into the archive: the study stays available after the folder, disc or stick is gone.</source>
        <translation>文件将复制到本地归档：即使原文件夹、光盘或 U 盘不在，检查仍可使用。</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/study_list.py" line="84"/>
        <source>Index in place</source>
        <translation>原位索引</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/study_list.py" line="85"/>
        <source>Only the index points at the files where they are: no space is used, but the study cannot be opened once they move or the medium is removed.</source>
        <translation>仅在索引中记录文件的原始位置：不占用空间，但文件移动或介质移除后将无法打开该检查。</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/study_list.py" line="113"/>
        <source>undated</source>
        <translation>无日期</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/study_list.py" line="191"/>
        <source>Search: patient name, patient ID, accession, description, modality</source>
        <extracomment>Asks (parent, title, text) and returns the answer: the confirmation dialog. The slowest and the last search&apos;s time on the job thread (milliseconds).</extracomment>
        <translation>搜索：患者姓名、患者 ID、检查号、描述、设备类型</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/study_list.py" line="212"/>
        <source>&amp;Open</source>
        <translation>打开(&amp;O)</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/study_list.py" line="214"/>
        <source>&amp;Import Folder…</source>
        <translation>导入文件夹(&amp;I)…</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/study_list.py" line="216"/>
        <source>&amp;Delete Study</source>
        <translation>删除检查(&amp;D)</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/study_list.py" line="218"/>
        <source>Re&amp;build Index</source>
        <translation>重建索引(&amp;B)</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/study_list.py" line="221"/>
        <source>Read every file of the archive again and rebuild its index</source>
        <translation>重新读取本地归档中的所有文件并重建索引</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/study_list.py" line="232"/>
        <source>Cancel</source>
        <extracomment>What the last import, delete or rebuild did (or why it was refused).</extracomment>
        <translation>取消</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/study_list.py" line="313"/>
        <source>The search failed: {reason}</source>
        <translation>搜索失败：{reason}</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/study_list.py" line="318"/>
        <source>1 study</source>
        <translation>1 个检查</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/study_list.py" line="318"/>
        <source>{count} studies</source>
        <translation>{count} 个检查</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/study_list.py" line="320"/>
        <source>the first {count} studies (type to narrow)</source>
        <translation>前 {count} 个检查（输入关键词可缩小范围）</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/study_list.py" line="324"/>
        <source>{shown} · archive {size} of {limit} GB</source>
        <translation>{shown} · 本地归档 {size}，上限 {limit} GB</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/study_list.py" line="328"/>
        <source>{shown} · archive {size}</source>
        <translation>{shown} · 本地归档 {size}</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/study_list.py" line="373"/>
        <source>Import Folder into the Study Archive</source>
        <translation>导入文件夹到检查归档</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/study_list.py" line="379"/>
        <source>Import Folder</source>
        <translation>导入文件夹</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/study_list.py" line="380"/>
        <source>How should the studies in this folder join the archive?</source>
        <translation>此文件夹中的检查以何种方式加入本地归档？</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/study_list.py" line="384"/>
        <source>{choice}: {explanation}</source>
        <translation>{choice}：{explanation}</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/study_list.py" line="404"/>
        <source>Importing</source>
        <translation>正在导入</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/study_list.py" line="410"/>
        <source>Imported {objects} objects of 1 study</source>
        <translation>已导入 1 个检查的 {objects} 个对象</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/study_list.py" line="412"/>
        <source>Imported {objects} objects of {count} studies</source>
        <translation>已导入 {count} 个检查的 {objects} 个对象</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/study_list.py" line="415"/>
        <source>{imported} (indexed in place)</source>
        <translation>{imported}（原位索引）</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/study_list.py" line="417"/>
        <source>{imported}; {already} were already in the archive</source>
        <translation>{imported}；其中 {already} 个已在本地归档中</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/study_list.py" line="420"/>
        <source>{imported}.</source>
        <translation>{imported}。</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/study_list.py" line="422"/>
        <source>{imported} {count} files could not be imported.</source>
        <translation>{imported}{count} 个文件无法导入。</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/study_list.py" line="438"/>
        <source>{study} is open in the viewer: close it before deleting it.</source>
        <translation>{study} 正在阅片窗口中打开：请先关闭再删除。</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/study_list.py" line="457"/>
        <source>{study} has an unsigned report draft: sign or discard the draft before deleting the study.</source>
        <translation>{study} 有未签署的报告草稿：请先签署或放弃草稿，再删除该检查。</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/study_list.py" line="462"/>
        <source>(no name)</source>
        <translation>（无姓名）</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/study_list.py" line="464"/>
        <source>Delete the study {study} of {name} ({images} images) from the archive? Its stored files are removed; files indexed in place are not touched.</source>
        <translation>从本地归档中删除 {name} 的检查 {study}（{images} 幅图像）？归档中存储的文件将被删除；原位索引的文件不受影响。</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/study_list.py" line="467"/>
        <source>Delete Study</source>
        <translation>删除检查</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/study_list.py" line="475"/>
        <source>Deleting</source>
        <translation>正在删除</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/study_list.py" line="479"/>
        <source>The study was deleted.</source>
        <translation>检查已删除。</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/study_list.py" line="484"/>
        <source>The study was not deleted: {reason}</source>
        <translation>检查未删除：{reason}</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/study_list.py" line="494"/>
        <source>The index was rebuilt: {count} objects.</source>
        <translation>索引已重建：{count} 个对象。</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/study_list.py" line="498"/>
        <source>Rebuilding the index</source>
        <translation>正在重建索引</translation>
    </message>
</context>
<context>
    <name>StudyTableModel</name>
    <message>
        <location filename="../../../desktop/archive/study_model.py" line="37"/>
        <source>Patient Name</source>
        <extracomment>Column titles in display order (English sources; the header shows them translated).</extracomment>
        <translation>患者姓名</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/study_model.py" line="38"/>
        <source>Patient ID</source>
        <translation>患者 ID</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/study_model.py" line="39"/>
        <source>Study Date</source>
        <translation>检查日期</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/study_model.py" line="40"/>
        <source>Modality</source>
        <translation>设备类型</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/study_model.py" line="41"/>
        <source>Description</source>
        <translation>描述</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/study_model.py" line="42"/>
        <source>Accession</source>
        <translation>检查号</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/study_model.py" line="43"/>
        <source>Images</source>
        <translation>图像数</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/study_model.py" line="44"/>
        <source>Source</source>
        <translation>来源</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/study_model.py" line="45"/>
        <source>Received</source>
        <translation>接收时间</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/study_model.py" line="71"/>
        <source>yyyy-MM-dd HH:mm</source>
        <comment>date and time format of the Received column</comment>
        <extracomment>The Study Instance UID of a row.</extracomment>
        <translation>yyyy-MM-dd HH:mm</translation>
    </message>
    <message>
        <location filename="../../../desktop/archive/study_model.py" line="155"/>
        <source>{series} series, {objects} objects</source>
        <translation>{series} 个序列，{objects} 个对象</translation>
    </message>
</context>
</TS>
