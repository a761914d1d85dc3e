<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>InstallStatus</name>
    <message>
        <location filename="../../../desktop/install_status.py" line="118"/>
        <source>The installation could not be checked ({error}) — run radassist --self-test.</source>
        <translation>无法检查安装完整性（{error}）。请运行 radassist --self-test。</translation>
    </message>
</context>
<context>
    <name>LanguageMenu</name>
    <message>
        <location filename="../../../desktop/language_menu.py" line="51"/>
        <source>&amp;Language</source>
        <translation>语言(&amp;L)</translation>
    </message>
    <message>
        <location filename="../../../desktop/language_menu.py" line="56"/>
        <source>System Default</source>
        <translation>跟随系统</translation>
    </message>
    <message>
        <location filename="../../../desktop/language_menu.py" line="79"/>
        <source>Language</source>
        <translation>语言</translation>
    </message>
    <message>
        <location filename="../../../desktop/language_menu.py" line="81"/>
        <source>The interface will be in {language} the next time RadAssist starts.</source>
        <translation>下次启动 RadAssist 时，界面语言将切换为：{language}。</translation>
    </message>
    <message>
        <location filename="../../../desktop/language_menu.py" line="86"/>
        <source>Restart now to switch; an open report is saved as a draft first.</source>
        <translation>立即重启即可切换；已打开的报告会先保存为草稿。</translation>
    </message>
    <message>
        <location filename="../../../desktop/language_menu.py" line="88"/>
        <source>Restart Now</source>
        <translation>立即重启</translation>
    </message>
    <message>
        <location filename="../../../desktop/language_menu.py" line="90"/>
        <source>Later</source>
        <translation>稍后</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <location filename="../../../desktop/main_window.py" line="259"/>
        <source>Study</source>
        <comment>dock title</comment>
        <extracomment>Mime type of a series dragged from the browser (payload: the series key, utf-8). The progress bar shows a job&apos;s progress at most this often (milliseconds).</extracomment>
        <translation>检查</translation>
    </message>
    <message>
        <location filename="../../../desktop/main_window.py" line="269"/>
        <source>AI Findings</source>
        <translation>AI 检出项</translation>
    </message>
    <message>
        <location filename="../../../desktop/main_window.py" line="280"/>
        <source>Report</source>
        <comment>dock title</comment>
        <translation>报告</translation>
    </message>
    <message>
        <location filename="../../../desktop/main_window.py" line="305"/>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <location filename="../../../desktop/main_window.py" line="307"/>
        <source>Stop reading the study</source>
        <translation>停止读取检查</translation>
    </message>
    <message>
        <location filename="../../../desktop/main_window.py" line="394"/>
        <source>{path}: no such file or folder</source>
        <translation>{path}：文件或文件夹不存在</translation>
    </message>
    <message>
        <location filename="../../../desktop/main_window.py" line="417"/>
        <source>RadAssist — {title}</source>
        <translation>RadAssist — {title}</translation>
    </message>
    <message>
        <location filename="../../../desktop/main_window.py" line="418"/>
        <source>Reading {title}…</source>
        <translation>正在读取 {title}…</translation>
    </message>
    <message>
        <location filename="../../../desktop/main_window.py" line="432"/>
        <source>Preparing the demo study…</source>
        <translation>正在准备演示检查…</translation>
    </message>
    <message>
        <location filename="../../../desktop/main_window.py" line="435"/>
        <source>preparing the demo study</source>
        <translation>正在准备演示检查</translation>
    </message>
    <message>
        <location filename="../../../desktop/main_window.py" line="444"/>
        <source>The demo study could not be prepared in {folder}: {error}</source>
        <translation>无法在 {folder} 中准备演示检查：{error}</translation>
    </message>
    <message>
        <location filename="../../../desktop/main_window.py" line="538"/>
        <source>Loading {series}…</source>
        <translation>正在加载 {series}…</translation>
    </message>
    <message>
        <location filename="../../../desktop/main_window.py" line="616"/>
        <source>There is no image to export.</source>
        <translation>没有可导出的图像。</translation>
    </message>
    <message>
        <location filename="../../../desktop/main_window.py" line="633"/>
        <source>The view could not be saved to {path}.</source>
        <translation>无法将视图保存到 {path}。</translation>
    </message>
    <message>
        <location filename="../../../desktop/main_window.py" line="636"/>
        <source>Exported the view to {path}</source>
        <translation>视图已导出到 {path}</translation>
    </message>
    <message>
        <location filename="../../../desktop/main_window.py" line="647"/>
        <source>Export View as PNG</source>
        <translation>将视图导出为 PNG</translation>
    </message>
    <message>
        <location filename="../../../desktop/main_window.py" line="647"/>
        <source>PNG images (*.png)</source>
        <translation>PNG 图像 (*.png)</translation>
    </message>
    <message>
        <location filename="../../../desktop/main_window.py" line="668"/>
        <source>Open an image to see its tags.</source>
        <translation>请先打开图像，再查看其标签。</translation>
    </message>
    <message>
        <location filename="../../../desktop/main_window.py" line="805"/>
        <source>{folder} holds {count} non-image objects and no images.</source>
        <translation>{folder} 中有 {count} 个非图像对象，没有图像。</translation>
    </message>
    <message>
        <location filename="../../../desktop/main_window.py" line="809"/>
        <source>{folder} holds no DICOM images.</source>
        <translation>{folder} 中没有 DICOM 图像。</translation>
    </message>
    <message>
        <location filename="../../../desktop/main_window.py" line="811"/>
        <source>No images to show</source>
        <translation>没有可显示的图像</translation>
    </message>
    <message>
        <location filename="../../../desktop/main_window.py" line="814"/>
        <source>{series} series, {images} images</source>
        <translation>{series} 个序列，{images} 幅图像</translation>
    </message>
    <message>
        <location filename="../../../desktop/main_window.py" line="826"/>
        <source>Reading the study was cancelled</source>
        <translation>已取消读取检查</translation>
    </message>
    <message>
        <location filename="../../../desktop/main_window.py" line="829"/>
        <source>The study could not be read: {reason}</source>
        <translation>无法读取检查：{reason}</translation>
    </message>
    <message>
        <location filename="../../../desktop/main_window.py" line="832"/>
        <source>The study could not be read</source>
        <translation>无法读取检查</translation>
    </message>
    <message>
        <location filename="../../../desktop/main_window.py" line="857"/>
        <source>Loaded {series}: {images} images</source>
        <translation>已加载 {series}：{images} 幅图像</translation>
    </message>
    <message>
        <location filename="../../../desktop/main_window.py" line="866"/>
        <source>Loading was cancelled</source>
        <translation>已取消加载</translation>
    </message>
    <message>
        <location filename="../../../desktop/main_window.py" line="869"/>
        <source>{series} could not be loaded: {reason}</source>
        <translation>无法加载 {series}：{reason}</translation>
    </message>
    <message>
        <location filename="../../../desktop/main_window.py" line="952"/>
        <source>{modality} series {number}</source>
        <translation>{modality} 序列 {number}</translation>
    </message>
    <message>
        <location filename="../../../desktop/main_window.py" line="956"/>
        <source>{modality} series</source>
        <translation>{modality} 序列</translation>
    </message>
</context>
<context>
    <name>Notification</name>
    <message>
        <location filename="../../../desktop/notifications.py" line="118"/>
        <location filename="../../../desktop/notifications.py" line="172"/>
        <source>Details</source>
        <translation>详情</translation>
    </message>
    <message>
        <location filename="../../../desktop/notifications.py" line="123"/>
        <source>Dismiss</source>
        <translation>关闭</translation>
    </message>
    <message>
        <location filename="../../../desktop/notifications.py" line="130"/>
        <source>... and {count} more</source>
        <translation>……另有 {count} 条</translation>
    </message>
    <message>
        <location filename="../../../desktop/notifications.py" line="172"/>
        <source>Hide details</source>
        <translation>隐藏详情</translation>
    </message>
</context>
<context>
    <name>Notifications</name>
    <message>
        <location filename="../../../desktop/notifications.py" line="57"/>
        <source>, and {count} other reasons</source>
        <extracomment>Levels and their banner colours (background, border).</extracomment>
        <translation>，另有 {count} 种其他原因</translation>
    </message>
    <message>
        <location filename="../../../desktop/notifications.py" line="62"/>
        <source>1 image could not be read: {reasons}</source>
        <translation>1 幅图像无法读取：{reasons}</translation>
    </message>
    <message>
        <location filename="../../../desktop/notifications.py" line="66"/>
        <source>{count} images could not be read: {reasons}</source>
        <translation>{count} 幅图像无法读取：{reasons}</translation>
    </message>
    <message>
        <location filename="../../../desktop/notifications.py" line="70"/>
        <source>1 file could not be read: {reasons}</source>
        <translation>1 个文件无法读取：{reasons}</translation>
    </message>
    <message>
        <location filename="../../../desktop/notifications.py" line="72"/>
        <source>{count} files could not be read: {reasons}</source>
        <translation>{count} 个文件无法读取：{reasons}</translation>
    </message>
    <message>
        <location filename="../../../desktop/notifications.py" line="81"/>
        <source>unknown reason</source>
        <translation>原因不明</translation>
    </message>
</context>
<context>
    <name>ReadingKeys</name>
    <message>
        <location filename="../../../desktop/reading_keys.py" line="55"/>
        <source>Study browser</source>
        <translation>检查浏览器</translation>
    </message>
    <message>
        <location filename="../../../desktop/reading_keys.py" line="57"/>
        <source>Move between series</source>
        <translation>在序列之间移动</translation>
    </message>
    <message>
        <location filename="../../../desktop/reading_keys.py" line="61"/>
        <source>Open the series and go back to the image</source>
        <translation>打开该序列并返回图像</translation>
    </message>
    <message>
        <location filename="../../../desktop/reading_keys.py" line="63"/>
        <source>Back to the image</source>
        <translation>返回图像</translation>
    </message>
    <message>
        <location filename="../../../desktop/reading_keys.py" line="65"/>
        <source>Dialogs</source>
        <translation>对话框</translation>
    </message>
    <message>
        <location filename="../../../desktop/reading_keys.py" line="67"/>
        <source>Close the dialog</source>
        <translation>关闭对话框</translation>
    </message>
    <message>
        <location filename="../../../desktop/reading_keys.py" line="123"/>
        <source>This is the last series</source>
        <translation>已是最后一个序列</translation>
    </message>
    <message>
        <location filename="../../../desktop/reading_keys.py" line="125"/>
        <source>This is the first series</source>
        <translation>已是第一个序列</translation>
    </message>
</context>
<context>
    <name>StudyOpening</name>
    <message>
        <location filename="../../../desktop/study_opening.py" line="38"/>
        <source>Open Folder</source>
        <translation>打开文件夹</translation>
    </message>
    <message>
        <location filename="../../../desktop/study_opening.py" line="49"/>
        <source>Open DICOMDIR or ZIP</source>
        <translation>打开 DICOMDIR 或 ZIP</translation>
    </message>
    <message>
        <location filename="../../../desktop/study_opening.py" line="51"/>
        <source>DICOMDIR or ZIP (DICOMDIR dicomdir *.zip);;All files (*)</source>
        <translation>DICOMDIR 或 ZIP (DICOMDIR dicomdir *.zip);;所有文件 (*)</translation>
    </message>
    <message>
        <location filename="../../../desktop/study_opening.py" line="85"/>
        <source>{count} items were dropped; opening the first, {path}.</source>
        <translation>拖入了 {count} 项，将打开第一项：{path}。</translation>
    </message>
    <message>
        <location filename="../../../desktop/study_opening.py" line="100"/>
        <source>{path} is no longer there; it was removed from the recent studies.</source>
        <translation>{path} 已不存在，已从最近的检查中移除。</translation>
    </message>
</context>
<context>
    <name>WindowActions</name>
    <message>
        <location filename="../../../desktop/window_actions.py" line="67"/>
        <source>&amp;Pointer</source>
        <translation>指针(&amp;P)</translation>
    </message>
    <message>
        <location filename="../../../desktop/window_actions.py" line="68"/>
        <source>&amp;Distance</source>
        <translation>距离(&amp;D)</translation>
    </message>
    <message>
        <location filename="../../../desktop/window_actions.py" line="69"/>
        <source>&amp;Angle</source>
        <translation>角度(&amp;A)</translation>
    </message>
    <message>
        <location filename="../../../desktop/window_actions.py" line="70"/>
        <source>&amp;Rectangle ROI</source>
        <translation>矩形 ROI(&amp;R)</translation>
    </message>
    <message>
        <location filename="../../../desktop/window_actions.py" line="71"/>
        <source>&amp;Ellipse ROI</source>
        <translation>椭圆 ROI(&amp;E)</translation>
    </message>
    <message>
        <location filename="../../../desktop/window_actions.py" line="119"/>
        <source>Open &amp;Folder…</source>
        <extracomment>Measurement tools: (name for Viewport.set_tool, menu text as the source says it).</extracomment>
        <translation>打开文件夹(&amp;F)…</translation>
    </message>
    <message>
        <location filename="../../../desktop/window_actions.py" line="125"/>
        <source>Open DICOMDIR or &amp;ZIP…</source>
        <translation>打开 DICOMDIR 或 ZIP(&amp;Z)…</translation>
    </message>
    <message>
        <location filename="../../../desktop/window_actions.py" line="131"/>
        <source>&amp;Export View as PNG…</source>
        <translation>将视图导出为 PNG(&amp;E)…</translation>
    </message>
    <message>
        <location filename="../../../desktop/window_actions.py" line="137"/>
        <source>Export &amp;Annotations as GSPS</source>
        <translation>将标注导出为 GSPS(&amp;A)</translation>
    </message>
    <message>
        <location filename="../../../desktop/window_actions.py" line="141"/>
        <source>Save the measurements and windows shown as a DICOM presentation state</source>
        <translation>将当前测量和窗宽/窗位保存为 DICOM 显示状态（GSPS）</translation>
    </message>
    <message>
        <location filename="../../../desktop/window_actions.py" line="146"/>
        <source>Study &amp;Archive…</source>
        <translation>检查归档(&amp;A)…</translation>
    </message>
    <message>
        <location filename="../../../desktop/window_actions.py" line="150"/>
        <source>The studies received, retrieved and imported: search, open, import, delete</source>
        <translation>已接收、获取和导入的检查：搜索、打开、导入、删除</translation>
    </message>
    <message>
        <location filename="../../../desktop/window_actions.py" line="156"/>
        <source>&amp;Query PACS…</source>
        <translation>查询 PACS(&amp;Q)…</translation>
    </message>
    <message>
        <location filename="../../../desktop/window_actions.py" line="160"/>
        <source>Find studies on a PACS and retrieve them into the archive</source>
        <translation>在 PACS 上查找检查，并获取到本地归档</translation>
    </message>
    <message>
        <location filename="../../../desktop/window_actions.py" line="165"/>
        <source>&amp;Anonymised Study…</source>
        <translation>匿名化检查(&amp;A)…</translation>
    </message>
    <message>
        <location filename="../../../desktop/window_actions.py" line="168"/>
        <source>Export the open study de-identified (DICOM PS3.15 Basic profile)</source>
        <translation>将当前检查去标识后导出（DICOM PS3.15 基本配置）</translation>
    </message>
    <message>
        <location filename="../../../desktop/window_actions.py" line="173"/>
        <source>Study to &amp;CD/USB Folder (DICOMDIR)…</source>
        <translation>导出检查到光盘/U 盘文件夹（DICOMDIR）(&amp;C)…</translation>
    </message>
    <message>
        <location filename="../../../desktop/window_actions.py" line="176"/>
        <source>Export the open study to a folder with a DICOMDIR, for a CD or USB stick</source>
        <translation>将当前检查导出到带 DICOMDIR 的文件夹，用于刻录光盘或拷贝到 U 盘</translation>
    </message>
    <message>
        <location filename="../../../desktop/window_actions.py" line="182"/>
        <source>Send to &amp;PACS…</source>
        <translation>发送到 PACS(&amp;P)…</translation>
    </message>
    <message>
        <location filename="../../../desktop/window_actions.py" line="185"/>
        <source>Send the signed report, the AI results and the annotations to a PACS</source>
        <translation>将已签署的报告、AI 结果和标注发送到 PACS</translation>
    </message>
    <message>
        <location filename="../../../desktop/window_actions.py" line="190"/>
        <source>DICOM &amp;Nodes…</source>
        <translation>DICOM 节点(&amp;N)…</translation>
    </message>
    <message>
        <location filename="../../../desktop/window_actions.py" line="195"/>
        <source>Study Arc&amp;hive…</source>
        <translation>检查归档(&amp;H)…</translation>
    </message>
    <message>
        <location filename="../../../desktop/window_actions.py" line="200"/>
        <source>&amp;Next Series</source>
        <translation>下一序列(&amp;N)</translation>
    </message>
    <message>
        <location filename="../../../desktop/window_actions.py" line="206"/>
        <source>&amp;Previous Series</source>
        <translation>上一序列(&amp;P)</translation>
    </message>
    <message>
        <location filename="../../../desktop/window_actions.py" line="212"/>
        <source>&amp;Go to Study Browser</source>
        <translation>转到检查浏览器(&amp;G)</translation>
    </message>
    <message>
        <location filename="../../../desktop/window_actions.py" line="216"/>
        <source>Esc goes back to the image</source>
        <translation>按 Esc 返回图像</translation>
    </message>
    <message>
        <location filename="../../../desktop/window_actions.py" line="219"/>
        <source>&amp;Quit</source>
        <translation>退出(&amp;Q)</translation>
    </message>
    <message>
        <location filename="../../../desktop/window_actions.py" line="225"/>
        <source>&amp;Clear Recent Studies</source>
        <translation>清除最近的检查(&amp;C)</translation>
    </message>
    <message>
        <location filename="../../../desktop/window_actions.py" line="242"/>
        <source>&amp;Overlays</source>
        <translation>叠加信息(&amp;O)</translation>
    </message>
    <message>
        <location filename="../../../desktop/window_actions.py" line="249"/>
        <source>&amp;Sync Scrolling</source>
        <translation>同步翻页(&amp;S)</translation>
    </message>
    <message>
        <location filename="../../../desktop/window_actions.py" line="256"/>
        <source>&amp;Auto Window</source>
        <translation>自动窗宽/窗位(&amp;A)</translation>
    </message>
    <message>
        <location filename="../../../desktop/window_actions.py" line="261"/>
        <source>&amp;Cine Play/Pause</source>
        <translation>播放/暂停电影回放(&amp;C)</translation>
    </message>
    <message>
        <location filename="../../../desktop/window_actions.py" line="267"/>
        <source>Study &amp;Browser</source>
        <translation>检查浏览器(&amp;B)</translation>
    </message>
    <message>
        <location filename="../../../desktop/window_actions.py" line="284"/>
        <source>&amp;Undo Measurement</source>
        <translation>撤销测量(&amp;U)</translation>
    </message>
    <message>
        <location filename="../../../desktop/window_actions.py" line="289"/>
        <source>De&amp;lete Measurement</source>
        <translation>删除测量(&amp;L)</translation>
    </message>
    <message>
        <location filename="../../../desktop/window_actions.py" line="294"/>
        <source>&amp;Invert</source>
        <translation>反相(&amp;I)</translation>
    </message>
    <message>
        <location filename="../../../desktop/window_actions.py" line="299"/>
        <source>Rotate &amp;Right</source>
        <translation>向右旋转(&amp;R)</translation>
    </message>
    <message>
        <location filename="../../../desktop/window_actions.py" line="304"/>
        <source>Rotate &amp;Left</source>
        <translation>向左旋转(&amp;L)</translation>
    </message>
    <message>
        <location filename="../../../desktop/window_actions.py" line="309"/>
        <source>Flip &amp;Horizontal</source>
        <translation>水平翻转(&amp;H)</translation>
    </message>
    <message>
        <location filename="../../../desktop/window_actions.py" line="314"/>
        <source>Flip &amp;Vertical</source>
        <translation>垂直翻转(&amp;V)</translation>
    </message>
    <message>
        <location filename="../../../desktop/window_actions.py" line="319"/>
        <source>&amp;Fit</source>
        <translation>适合窗口(&amp;F)</translation>
    </message>
    <message>
        <location filename="../../../desktop/window_actions.py" line="324"/>
        <source>&amp;Actual Size (1:1)</source>
        <translation>实际大小 (1:1)(&amp;A)</translation>
    </message>
    <message>
        <location filename="../../../desktop/window_actions.py" line="329"/>
        <source>Re&amp;set View</source>
        <translation>重置视图(&amp;S)</translation>
    </message>
    <message>
        <location filename="../../../desktop/window_actions.py" line="334"/>
        <source>DICOM &amp;Tags…</source>
        <translation>DICOM 标签(&amp;T)…</translation>
    </message>
    <message>
        <location filename="../../../desktop/window_actions.py" line="340"/>
        <source>&amp;Keyboard Shortcuts</source>
        <translation>键盘快捷键(&amp;K)</translation>
    </message>
    <message>
        <location filename="../../../desktop/window_actions.py" line="346"/>
        <source>&amp;About RadAssist</source>
        <translation>关于 RadAssist(&amp;A)</translation>
    </message>
    <message>
        <location filename="../../../desktop/window_actions.py" line="351"/>
        <source>&amp;Analyze Image</source>
        <translation>分析图像(&amp;A)</translation>
    </message>
    <message>
        <location filename="../../../desktop/window_actions.py" line="355"/>
        <source>Run the AI model on the image shown</source>
        <translation>用 AI 模型分析当前显示的图像</translation>
    </message>
    <message>
        <location filename="../../../desktop/window_actions.py" line="358"/>
        <source>&amp;Cancel Analysis</source>
        <translation>取消分析(&amp;C)</translation>
    </message>
    <message>
        <location filename="../../../desktop/window_actions.py" line="363"/>
        <source>Show AI &amp;Heatmap</source>
        <translation>显示 AI 热图(&amp;H)</translation>
    </message>
    <message>
        <location filename="../../../desktop/window_actions.py" line="373"/>
        <source>AI &amp;Findings Panel</source>
        <translation>AI 检出项面板(&amp;F)</translation>
    </message>
    <message>
        <location filename="../../../desktop/window_actions.py" line="378"/>
        <source>&amp;Models…</source>
        <translation>模型(&amp;M)…</translation>
    </message>
    <message>
        <location filename="../../../desktop/window_actions.py" line="383"/>
        <source>&amp;Reporting…</source>
        <translation>报告设置(&amp;R)…</translation>
    </message>
    <message>
        <location filename="../../../desktop/window_actions.py" line="388"/>
        <source>&amp;Data Protection…</source>
        <translation>数据保护(&amp;D)…</translation>
    </message>
    <message>
        <location filename="../../../desktop/window_actions.py" line="393"/>
        <source>&amp;Draft Report</source>
        <translation>起草报告(&amp;D)</translation>
    </message>
    <message>
        <location filename="../../../desktop/window_actions.py" line="397"/>
        <source>Draft the report with the chosen engine</source>
        <translation>用所选引擎起草报告</translation>
    </message>
    <message>
        <location filename="../../../desktop/window_actions.py" line="400"/>
        <source>Write &amp;Impression</source>
        <translation>撰写诊断意见(&amp;I)</translation>
    </message>
    <message>
        <location filename="../../../desktop/window_actions.py" line="405"/>
        <source>&amp;Rewrite Selection</source>
        <translation>改写所选内容(&amp;R)</translation>
    </message>
    <message>
        <location filename="../../../desktop/window_actions.py" line="410"/>
        <source>S&amp;top Drafting</source>
        <translation>停止起草(&amp;T)</translation>
    </message>
    <message>
        <location filename="../../../desktop/window_actions.py" line="415"/>
        <source>Mark &amp;All Reviewed</source>
        <translation>全部标为已审核(&amp;A)</translation>
    </message>
    <message>
        <location filename="../../../desktop/window_actions.py" line="420"/>
        <source>&amp;Sign Report…</source>
        <translation>签署报告(&amp;S)…</translation>
    </message>
    <message>
        <location filename="../../../desktop/window_actions.py" line="426"/>
        <source>Add A&amp;ddendum…</source>
        <translation>添加补充报告(&amp;D)…</translation>
    </message>
    <message>
        <location filename="../../../desktop/window_actions.py" line="438"/>
        <source>&amp;Report Panel</source>
        <translation>报告面板(&amp;R)</translation>
    </message>
    <message>
        <location filename="../../../desktop/window_actions.py" line="483"/>
        <source>&amp;File</source>
        <translation>文件(&amp;F)</translation>
    </message>
    <message>
        <location filename="../../../desktop/window_actions.py" line="487"/>
        <source>&amp;Recent Studies</source>
        <translation>最近的检查(&amp;R)</translation>
    </message>
    <message>
        <location filename="../../../desktop/window_actions.py" line="497"/>
        <source>E&amp;xport</source>
        <translation>导出(&amp;X)</translation>
    </message>
    <message>
        <location filename="../../../desktop/window_actions.py" line="504"/>
        <source>&amp;View</source>
        <translation>视图(&amp;V)</translation>
    </message>
    <message>
        <location filename="../../../desktop/window_actions.py" line="505"/>
        <source>&amp;Layout</source>
        <translation>布局(&amp;L)</translation>
    </message>
    <message>
        <location filename="../../../desktop/window_actions.py" line="512"/>
        <source>Window &amp;Presets</source>
        <translation>窗预设(&amp;P)</translation>
    </message>
    <message>
        <location filename="../../../desktop/window_actions.py" line="528"/>
        <source>&amp;Tools</source>
        <translation>工具(&amp;T)</translation>
    </message>
    <message>
        <location filename="../../../desktop/window_actions.py" line="530"/>
        <source>&amp;Measure</source>
        <translation>测量(&amp;M)</translation>
    </message>
    <message>
        <location filename="../../../desktop/window_actions.py" line="548"/>
        <source>&amp;Analysis</source>
        <translation>分析(&amp;A)</translation>
    </message>
    <message>
        <location filename="../../../desktop/window_actions.py" line="556"/>
        <source>&amp;Report</source>
        <translation>报告(&amp;R)</translation>
    </message>
    <message>
        <location filename="../../../desktop/window_actions.py" line="568"/>
        <source>&amp;Export Report</source>
        <translation>导出报告(&amp;E)</translation>
    </message>
    <message>
        <location filename="../../../desktop/window_actions.py" line="576"/>
        <source>&amp;Settings</source>
        <translation>设置(&amp;S)</translation>
    </message>
    <message>
        <location filename="../../../desktop/window_actions.py" line="586"/>
        <source>&amp;Help</source>
        <translation>帮助(&amp;H)</translation>
    </message>
    <message>
        <location filename="../../../desktop/window_actions.py" line="613"/>
        <source>(no image)</source>
        <translation>（无图像）</translation>
    </message>
    <message>
        <location filename="../../../desktop/window_actions.py" line="621"/>
        <source>{name}  (C {center} / W {width})</source>
        <translation>{name}  (窗位 {center} / 窗宽 {width})</translation>
    </message>
    <message>
        <location filename="../../../desktop/window_actions.py" line="651"/>
        <source>development</source>
        <translation>开发版</translation>
    </message>
    <message>
        <location filename="../../../desktop/window_actions.py" line="654"/>
        <source>About RadAssist</source>
        <translation>关于 RadAssist</translation>
    </message>
    <message>
        <location filename="../../../desktop/window_actions.py" line="655"/>
        <source>&lt;b&gt;RadAssist&lt;/b&gt; {release}&lt;br&gt;An offline radiology reading workstation.&lt;br&gt;Not for primary diagnosis unless your site has validated it.</source>
        <translation>&lt;b&gt;RadAssist&lt;/b&gt; {release}&lt;br&gt;离线放射影像阅片工作站。&lt;br&gt;未经本院验证，不得用于初诊。</translation>
    </message>
    <message>
        <location filename="../../../desktop/window_actions.py" line="685"/>
        <source>Viewer</source>
        <translation>阅片区</translation>
    </message>
</context>
</TS>
