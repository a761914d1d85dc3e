<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>AIPanel</name>
    <message>
        <location filename="../../../desktop/assistant/ai_panel.py" line="913"/>
        <source>Run the model on the image shown (Ctrl+Shift+A)</source>
        <translation>用模型分析当前显示的图像（Ctrl+Shift+A）</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/ai_panel.py" line="924"/>
        <source>positive</source>
        <translation>阳性</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/ai_panel.py" line="926"/>
        <source>indeterminate</source>
        <translation>不确定</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/ai_panel.py" line="928"/>
        <source>negative</source>
        <translation>阴性</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/ai_panel.py" line="144"/>
        <source>Preparing the image</source>
        <extracomment>Heatmap methods offered: (engine name, what the person reads), from the one list in core. Shown wherever a demo model&apos;s output appears (the engine&apos;s text, repeated here so that the panel needs no engine import before a result exists).</extracomment>
        <translation>正在准备图像</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/ai_panel.py" line="231"/>
        <location filename="../../../desktop/assistant/ai_panel.py" line="515"/>
        <location filename="../../../desktop/assistant/ai_panel.py" line="518"/>
        <source>Open an image, then press Analyze.</source>
        <translation>请打开图像，然后点击“分析”。</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/ai_panel.py" line="242"/>
        <source>AI findings</source>
        <translation>AI 检出项</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/ai_panel.py" line="250"/>
        <source>The model package that analyses the image</source>
        <translation>用于分析图像的模型包</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/ai_panel.py" line="276"/>
        <source>Analy&amp;ze</source>
        <translation>分析(&amp;Z)</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/ai_panel.py" line="280"/>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/ai_panel.py" line="302"/>
        <source>Finding</source>
        <translation>检出项</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/ai_panel.py" line="302"/>
        <source>Probability</source>
        <translation>概率</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/ai_panel.py" line="302"/>
        <source>Threshold</source>
        <translation>阈值</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/ai_panel.py" line="302"/>
        <source>Verdict</source>
        <translation>判定</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/ai_panel.py" line="317"/>
        <source>Show heatmap</source>
        <translation>显示热图</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/ai_panel.py" line="328"/>
        <source>Heatmap opacity</source>
        <translation>热图不透明度</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/ai_panel.py" line="336"/>
        <source>Grad-CAM: where the network&apos;s last features drove the score (fast).
Occlusion sensitivity: how much the score drops when each patch is replaced
by its blurred surroundings (seconds).
Kernel SHAP: each superpixel&apos;s Shapley share of the score, estimated from
random sets of superpixels kept or blurred (seconds).
Every map states how much the score falls when its top 10 % is masked.</source>
        <translation>Grad-CAM：网络最后一层特征对评分的贡献位置（快速）。
遮挡敏感度：将每个区块替换为其周围模糊图像后，
评分下降的幅度（需数秒）。
Kernel SHAP：每个超像素对评分的 Shapley 贡献，
通过随机保留或模糊超像素组合估算（需数秒）。
每幅热图都注明遮盖其前 10 % 区域后评分下降多少。</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/ai_panel.py" line="417"/>
        <source>No model installed</source>
        <translation>未安装模型</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/ai_panel.py" line="427"/>
        <source> (demo)</source>
        <translation>（演示）</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/ai_panel.py" line="479"/>
        <source>The model packages could not be listed: {reason}</source>
        <translation>无法列出模型包：{reason}</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/ai_panel.py" line="520"/>
        <source>The image is still loading.</source>
        <translation>图像仍在加载。</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/ai_panel.py" line="555"/>
        <source>Not analysed yet: press Analyze.</source>
        <translation>尚未分析：请点击“分析”。</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/ai_panel.py" line="593"/>
        <source>No model package is installed: add one in Settings → Models.</source>
        <translation>未安装模型包：请在“设置 → 模型”中添加。</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/ai_panel.py" line="618"/>
        <source>Starting</source>
        <translation>正在启动</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/ai_panel.py" line="622"/>
        <source>Analysing with {model}…</source>
        <translation>正在用 {model} 分析…</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/ai_panel.py" line="663"/>
        <source>The analysis finished for an image no longer shown.</source>
        <translation>分析已完成，但该图像已不在当前显示。</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/ai_panel.py" line="668"/>
        <source>Analysis cancelled.</source>
        <translation>已取消分析。</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/ai_panel.py" line="671"/>
        <source>Analysis failed: {reason}</source>
        <translation>分析失败：{reason}</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/ai_panel.py" line="692"/>
        <source>Analyze is unavailable. {problem} — {remedy}.</source>
        <translation>无法分析。{problem} — {remedy}。</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/ai_panel.py" line="738"/>
        <location filename="../../../desktop/assistant/ai_panel.py" line="873"/>
        <source>Model: {model}</source>
        <translation>模型：{model}</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/ai_panel.py" line="739"/>
        <source>SHA-256 {hash}</source>
        <translation>SHA-256 {hash}</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/ai_panel.py" line="741"/>
        <location filename="../../../desktop/assistant/ai_panel.py" line="878"/>
        <source>Intended use: {use}</source>
        <translation>预期用途：{use}</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/ai_panel.py" line="771"/>
        <source> — click to show where the model looked</source>
        <translation> — 点击显示模型关注的区域</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/ai_panel.py" line="776"/>
        <source>Not analysed: {why}.</source>
        <translation>未分析：{why}。</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/ai_panel.py" line="782"/>
        <source> (from the cache)</source>
        <translation>（来自缓存）</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/ai_panel.py" line="784"/>
        <source> in {seconds} s</source>
        <translation>，用时 {seconds} s</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/ai_panel.py" line="791"/>
        <source>{positives} positive of {count} findings{when}.</source>
        <translation>{count} 个检出项中 {positives} 个阳性{when}。</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/ai_panel.py" line="828"/>
        <source>heatmaps are made for positive findings only</source>
        <translation>仅为阳性检出项生成热图</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/ai_panel.py" line="831"/>
        <source>{label}: {verdict} ({probability}); {why}.</source>
        <translation>{label}：{verdict}（{probability}）；{why}。</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/ai_panel.py" line="839"/>
        <source>heatmap</source>
        <translation>热图</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/ai_panel.py" line="933"/>
        <source>Analyze is disabled: {what} is {state}.</source>
        <translation>分析不可用：{what}{state}。</translation>
    </message>
</context>
<context>
    <name>AddendumDialog</name>
    <message>
        <location filename="../../../desktop/assistant/report_dialogs.py" line="126"/>
        <source>Addendum</source>
        <translation>补充报告</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_dialogs.py" line="129"/>
        <source>The signed report does not change; this addendum is added to it, signed by {signer}.</source>
        <translation>已签署的报告不会改动；本补充报告将附加其后，由{signer}签署。</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_dialogs.py" line="140"/>
        <source>Sign addendum</source>
        <translation>签署补充报告</translation>
    </message>
</context>
<context>
    <name>DraftBar</name>
    <message>
        <location filename="../../../desktop/assistant/report_draft_bar.py" line="37"/>
        <source>Templates</source>
        <translation>模板</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_draft_bar.py" line="38"/>
        <source>Language model</source>
        <translation>语言模型</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_draft_bar.py" line="45"/>
        <source>Draft report</source>
        <translation>起草报告</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_draft_bar.py" line="46"/>
        <source>Rewrite selection</source>
        <translation>改写所选</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_draft_bar.py" line="47"/>
        <source>Write impression</source>
        <translation>撰写诊断意见</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_draft_bar.py" line="81"/>
        <source>Who drafts: the templates (no model) or the language model</source>
        <extracomment>Drafting engines and modes, as the source says them (their names are what counts).</extracomment>
        <translation>由谁起草：模板（不使用模型）或语言模型</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_draft_bar.py" line="95"/>
        <source>The language of a new draft (Draft report); rewriting keeps the report&apos;s</source>
        <translation>新草稿（起草报告）的语言；改写时沿用报告原有语言</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_draft_bar.py" line="110"/>
        <source>Stop</source>
        <translation>停止</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_draft_bar.py" line="112"/>
        <source>Stop the language model now; what it wrote stays</source>
        <translation>立即停止语言模型；已写出的内容保留</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_draft_bar.py" line="165"/>
        <source>The language model rewrites the selected sentences</source>
        <translation>由语言模型改写所选句子</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_draft_bar.py" line="167"/>
        <source>Rewriting needs the language model (choose it above)</source>
        <translation>改写需要语言模型（请在上方选择）</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_draft_bar.py" line="176"/>
        <source>Starting the language model</source>
        <translation>正在启动语言模型</translation>
    </message>
</context>
<context>
    <name>ExportButton</name>
    <message>
        <location filename="../../../desktop/assistant/report_export.py" line="56"/>
        <source>Export</source>
        <extracomment>Export formats: (kind, menu text as the source says it).</extracomment>
        <translation>导出</translation>
    </message>
</context>
<context>
    <name>ReportExport</name>
    <message>
        <location filename="../../../desktop/assistant/report_export.py" line="31"/>
        <source>Plain text</source>
        <translation>纯文本</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_export.py" line="32"/>
        <source>PDF</source>
        <translation>PDF</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_export.py" line="33"/>
        <source>PDF with key images</source>
        <translation>PDF（含关键图像）</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_export.py" line="34"/>
        <source>DICOM structured report</source>
        <translation>DICOM 结构化报告（SR）</translation>
    </message>
</context>
<context>
    <name>ReportPanel</name>
    <message>
        <location filename="../../../desktop/assistant/report_panel.py" line="296"/>
        <source>The study&apos;s details could not be read: {reason}</source>
        <extracomment>The window&apos;s study archive when it is open (priors for the Comparison section).</extracomment>
        <translation>无法读取检查信息：{reason}</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_panel.py" line="332"/>
        <source>Read-only: {why}.</source>
        <translation>只读：{why}。</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_panel.py" line="338"/>
        <source>Draft of {time} reopened.</source>
        <translation>已重新打开 {time} 的草稿。</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_panel.py" line="340"/>
        <source>The saved draft could not be read: {reason}</source>
        <translation>无法读取已保存的草稿：{reason}</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_panel.py" line="343"/>
        <source>New report: draft it, or type.</source>
        <translation>新报告：可自动起草，或直接输入。</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_panel.py" line="365"/>
        <source>Open a study to write its report.</source>
        <translation>请先打开检查，再书写报告。</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_panel.py" line="401"/>
        <source>The interrupted draft was restored.</source>
        <translation>已恢复中断的草稿。</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_panel.py" line="410"/>
        <source>The interrupted draft was discarded.</source>
        <translation>已放弃中断的草稿。</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_panel.py" line="427"/>
        <source>The findings could not be read: {reason}</source>
        <translation>无法读取检出项：{reason}</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_panel.py" line="454"/>
        <source>Section headings stay as they are; type in the text below them.</source>
        <translation>段落标题不可修改；请在标题下方输入内容。</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_panel.py" line="553"/>
        <source>Put the cursor in a sentence, or select sentences, to mark them.</source>
        <translation>请将光标置于句中或选中句子，再进行标记。</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_panel.py" line="560"/>
        <source>{count} sentences marked reviewed.</source>
        <translation>已将 {count} 句标为已审核。</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_panel.py" line="559"/>
        <source>1 sentence marked reviewed.</source>
        <translation>已将 1 句标为已审核。</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_panel.py" line="573"/>
        <source>Every sentence is marked reviewed.</source>
        <translation>所有句子均已标为已审核。</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_panel.py" line="590"/>
        <source>Acknowledged: the report leaves that finding out.</source>
        <translation>已确认：报告不提及该检出项。</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_panel.py" line="592"/>
        <source>Conflict resolved: the sentence stands as written.</source>
        <translation>冲突已处理：该句保持原文。</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_panel.py" line="632"/>
        <source>Rewriting needs the language model: choose it above.</source>
        <translation>改写需要语言模型：请在上方选择。</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_panel.py" line="655"/>
        <source>Replace the draft?</source>
        <translation>替换草稿？</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_panel.py" line="656"/>
        <source>Drafting the whole report replaces the text written and reviewed so far.</source>
        <translation>重新起草整份报告将替换目前已书写和已审核的内容。</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_panel.py" line="667"/>
        <source>Drafting from the templates…</source>
        <translation>正在按模板起草…</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_panel.py" line="687"/>
        <source>Drafted from the templates: {count} sentences to review.</source>
        <translation>已按模板起草：{count} 句待审核。</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_panel.py" line="694"/>
        <source>Drafting failed: {reason}</source>
        <translation>起草失败：{reason}</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_panel.py" line="704"/>
        <source>No language model is chosen: set its folder or server in Settings → Reporting.</source>
        <translation>未选择语言模型：请在“设置 → 报告设置”中指定模型文件夹或服务器。</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_panel.py" line="715"/>
        <source>Select the sentences to rewrite first.</source>
        <translation>请先选中要改写的句子。</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_panel.py" line="719"/>
        <source>Select sentences of one section to rewrite.</source>
        <translation>请选中同一段落中的句子进行改写。</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_panel.py" line="733"/>
        <source>The language model {model} is writing…</source>
        <translation>语言模型 {model} 正在书写…</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_panel.py" line="749"/>
        <source>Written by the language model {model}: {tokens} tokens in {seconds} s. Review its text before signing.</source>
        <translation>由语言模型 {model} 书写：{tokens} 个词元，用时 {seconds} s。签署前请审核其内容。</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_panel.py" line="756"/>
        <source>Incomplete ({why}): what arrived is kept. </source>
        <translation>未完成（{why}）：已收到的内容保留。</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_panel.py" line="759"/>
        <source>The model wrote in the other language (asked twice). </source>
        <translation>模型使用了另一种语言书写（已请求两次）。</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_panel.py" line="770"/>
        <location filename="../../../desktop/assistant/report_panel.py" line="784"/>
        <source>Stopped.</source>
        <translation>已停止。</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_panel.py" line="773"/>
        <source>The language model could not write: {reason}</source>
        <translation>语言模型无法书写：{reason}</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_panel.py" line="794"/>
        <source>Stopped: the {count} characters written so far are kept for review.</source>
        <translation>已停止：已写出的 {count} 个字符保留待审核。</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_panel.py" line="800"/>
        <source>Stopped before the language model wrote anything.</source>
        <translation>已在语言模型写出内容前停止。</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_panel.py" line="810"/>
        <source>The language model wrote no text; the report is unchanged.</source>
        <translation>语言模型未写出任何内容；报告未改动。</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_panel.py" line="833"/>
        <source>The report is empty: there is nothing to sign.</source>
        <translation>报告为空：没有可签署的内容。</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_panel.py" line="851"/>
        <source>Set your name in Settings → Reporting to sign.</source>
        <translation>请先在“设置 → 报告设置”中填写您的姓名，再签署。</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_panel.py" line="867"/>
        <source>Signed by {signer}. The report is final: add an addendum to amend it.</source>
        <translation>已由{signer}签署。报告已定稿：如需修改，请添加补充报告。</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_panel.py" line="898"/>
        <source>Addendum added and signed.</source>
        <translation>补充报告已添加并签署。</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_panel.py" line="923"/>
        <source>The draft could not be saved: {reason}</source>
        <translation>无法保存草稿：{reason}</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_panel.py" line="935"/>
        <source>There is no report to export.</source>
        <translation>没有可导出的报告。</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_panel.py" line="948"/>
        <source>Exporting ({what})…</source>
        <translation>正在导出（{what}）…</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_panel.py" line="956"/>
        <source>Exported to {path}</source>
        <translation>已导出到 {path}</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_panel.py" line="963"/>
        <source>Export failed: {reason}</source>
        <translation>导出失败：{reason}</translation>
    </message>
</context>
<context>
    <name>ReportPanelWidgets</name>
    <message>
        <location filename="../../../desktop/assistant/report_panel_widgets.py" line="69"/>
        <source>Report</source>
        <extracomment>Shown wherever a demo model&apos;s findings feed the report (the AI panel&apos;s wording).</extracomment>
        <translation>报告</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_panel_widgets.py" line="99"/>
        <source>Restore draft</source>
        <translation>恢复草稿</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_panel_widgets.py" line="100"/>
        <source>Discard</source>
        <translation>放弃</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_panel_widgets.py" line="117"/>
        <source>Sign…</source>
        <translation>签署…</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_panel_widgets.py" line="118"/>
        <source>Addendum…</source>
        <translation>补充报告…</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_panel_widgets.py" line="154"/>
        <source>RadAssist stopped while this report was being written. The draft saved at {time} is shown: restore it, or discard it and start again.</source>
        <translation>书写本报告时 RadAssist 意外退出。当前显示的是 {time} 保存的草稿：可恢复，也可放弃并重新开始。</translation>
    </message>
</context>
<context>
    <name>ReportTexts</name>
    <message>
        <location filename="../../../desktop/assistant/report_texts.py" line="31"/>
        <source>Template text</source>
        <translation>模板文本</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_texts.py" line="33"/>
        <source>Language model text</source>
        <translation>语言模型文本</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_texts.py" line="34"/>
        <source>Your text</source>
        <translation>您书写的文本</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_texts.py" line="41"/>
        <source>Final — signed by {signer} at {time}</source>
        <translation>已定稿 — 由 {signer} 于 {time} 签署</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_texts.py" line="44"/>
        <source> (review overridden)</source>
        <translation>（未经审核强制签署）</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_texts.py" line="47"/>
        <source>Draft — revision {revision}, saved</source>
        <translation>草稿 — 第 {revision} 版，已保存</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_texts.py" line="49"/>
        <source>Draft — revision {revision}, not saved yet</source>
        <translation>草稿 — 第 {revision} 版，尚未保存</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_texts.py" line="65"/>
        <source>1 sentence to review</source>
        <translation>1 句待审核</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_texts.py" line="67"/>
        <source>{count} sentences to review</source>
        <translation>{count} 句待审核</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_texts.py" line="70"/>
        <source>1 conflict</source>
        <translation>1 处冲突</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_texts.py" line="72"/>
        <source>{count} conflicts</source>
        <translation>{count} 处冲突</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_texts.py" line="75"/>
        <source>{count} not mentioned</source>
        <translation>{count} 项未提及</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_texts.py" line="79"/>
        <source>Everything reviewed</source>
        <translation>已全部审核</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_texts.py" line="86"/>
        <source>Not mentioned — {reason}</source>
        <translation>未提及 — {reason}</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_texts.py" line="92"/>
        <source>{heading}: “{sentence}” — {reason}</source>
        <translation>{heading}：“{sentence}”——{reason}</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_texts.py" line="104"/>
        <source>reviewed</source>
        <translation>已审核</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_texts.py" line="106"/>
        <source>not reviewed yet</source>
        <translation>尚未审核</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_texts.py" line="108"/>
        <source>Conflict: {reason}</source>
        <translation>冲突：{reason}</translation>
    </message>
</context>
<context>
    <name>ReportingSettingsDialog</name>
    <message>
        <location filename="../../../desktop/assistant/report_dialogs.py" line="225"/>
        <source>Reporting settings</source>
        <translation>报告设置</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_dialogs.py" line="233"/>
        <source>e.g. Dr A. Example</source>
        <translation>例如：张医生</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_dialogs.py" line="237"/>
        <location filename="../../../desktop/assistant/report_dialogs.py" line="423"/>
        <source>A Hugging Face causal-LM folder on this computer</source>
        <translation>本机上的 Hugging Face 因果语言模型文件夹</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_dialogs.py" line="239"/>
        <source>Browse…</source>
        <translation>浏览…</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_dialogs.py" line="241"/>
        <source>Check</source>
        <translation>检查</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_dialogs.py" line="244"/>
        <source>Read the folder (config, weights, tokenizer) without loading it</source>
        <translation>读取文件夹（配置、权重、分词器），但不加载模型</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_dialogs.py" line="247"/>
        <source>Import</source>
        <translation>导入</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_dialogs.py" line="251"/>
        <source>Copy the folder into RadAssist&apos;s models folder, hashing every file (a model is verified against these hashes before every load)</source>
        <translation>将文件夹复制到 RadAssist 的模型文件夹，并计算每个文件的哈希值（每次加载前都会据此校验模型）</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_dialogs.py" line="270"/>
        <source> tokens</source>
        <translation> 个词元</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_dialogs.py" line="277"/>
        <source>0 = greedy (the same text every time)</source>
        <translation>0 = 贪心解码（每次生成相同的文本）</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_dialogs.py" line="287"/>
        <location filename="../../../desktop/assistant/report_dialogs.py" line="421"/>
        <source>Language model folder:</source>
        <translation>语言模型文件夹：</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_dialogs.py" line="294"/>
        <source>Your name (signs reports):</source>
        <translation>您的姓名（用于签署报告）：</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_dialogs.py" line="295"/>
        <source>Language model:</source>
        <translation>语言模型：</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_dialogs.py" line="299"/>
        <source>Release the local model after:</source>
        <translation>本地模型释放时间：</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_dialogs.py" line="300"/>
        <source>Maximum length:</source>
        <translation>最大长度：</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_dialogs.py" line="301"/>
        <source>Temperature:</source>
        <translation>温度：</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_dialogs.py" line="302"/>
        <source>Default report language:</source>
        <translation>默认报告语言：</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_dialogs.py" line="317"/>
        <source>A model folder on this computer</source>
        <translation>本机上的模型文件夹</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_dialogs.py" line="318"/>
        <source>A GGUF file on this computer (llama.cpp)</source>
        <translation>本机上的 GGUF 文件（llama.cpp）</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_dialogs.py" line="319"/>
        <source>An OpenAI-compatible server</source>
        <translation>兼容 OpenAI 接口的服务器</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_dialogs.py" line="330"/>
        <source>e.g. https://llm.hospital.local:8000/v1</source>
        <translation>例如：https://llm.hospital.local:8000/v1</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_dialogs.py" line="333"/>
        <source>The model name the server serves</source>
        <translation>服务器提供的模型名称</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_dialogs.py" line="338"/>
        <source>Kept in the system keyring; empty keeps the stored one</source>
        <translation>保存在系统密钥环中；留空则沿用已保存的密钥</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_dialogs.py" line="342"/>
        <source>Empty: the system&apos;s certificates</source>
        <translation>留空：使用系统证书</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_dialogs.py" line="347"/>
        <source> s</source>
        <translation> s</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_dialogs.py" line="349"/>
        <source>How long the server may stay silent before drafting stops</source>
        <translation>服务器无响应多久后停止起草</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_dialogs.py" line="360"/>
        <source>What the server&apos;s draft is held to. Automatic: llama.cpp&apos;s grammar for a llama.cpp server, the JSON schema for any other; a server that refuses one is asked with the next.</source>
        <translation>服务器生成草稿时遵循的输出约束。自动：llama.cpp 服务器使用 llama.cpp 的语法，其他服务器使用 JSON Schema；服务器拒绝某种约束时，改用下一种重新请求。</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_dialogs.py" line="367"/>
        <source>Server URL:</source>
        <translation>服务器 URL：</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_dialogs.py" line="368"/>
        <source>Model name:</source>
        <translation>模型名称：</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_dialogs.py" line="369"/>
        <source>API key:</source>
        <translation>API 密钥：</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_dialogs.py" line="370"/>
        <source>CA bundle (PEM):</source>
        <translation>CA 证书包（PEM）：</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_dialogs.py" line="371"/>
        <source>Timeout:</source>
        <translation>超时：</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_dialogs.py" line="372"/>
        <source>Structured output:</source>
        <translation>结构化输出：</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_dialogs.py" line="373"/>
        <source>Test</source>
        <translation>测试</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_dialogs.py" line="376"/>
        <source>Draft one sentence with this language model (no patient data)</source>
        <translation>用此语言模型起草一句话（不含患者数据）</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_dialogs.py" line="386"/>
        <source> min idle</source>
        <translation> 分钟空闲后</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_dialogs.py" line="388"/>
        <source>A local model&apos;s memory is given back after this long unused</source>
        <translation>本地模型闲置超过此时长后释放内存</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_dialogs.py" line="394"/>
        <source>Automatic</source>
        <translation>自动</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_dialogs.py" line="395"/>
        <source>GBNF grammar (llama.cpp)</source>
        <translation>GBNF 语法（llama.cpp）</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_dialogs.py" line="396"/>
        <source>JSON schema (vLLM, Ollama, LM Studio, OpenAI)</source>
        <translation>JSON Schema（vLLM、Ollama、LM Studio、OpenAI）</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_dialogs.py" line="397"/>
        <source>None — plain text, parsed strictly</source>
        <translation>无 — 纯文本，严格解析</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_dialogs.py" line="403"/>
        <source>GBNF grammar</source>
        <translation>GBNF 语法</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_dialogs.py" line="404"/>
        <source>JSON schema</source>
        <translation>JSON Schema</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_dialogs.py" line="405"/>
        <source>none (plain text, parsed strictly)</source>
        <translation>无（纯文本，严格解析）</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_dialogs.py" line="418"/>
        <source>GGUF file:</source>
        <translation>GGUF 文件：</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_dialogs.py" line="419"/>
        <source>A .gguf model file on this computer</source>
        <translation>本机上的 .gguf 模型文件</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_dialogs.py" line="450"/>
        <source>Give the model folder or GGUF file, or the server&apos;s URL and model name.</source>
        <translation>请指定模型文件夹或 GGUF 文件，或服务器的 URL 和模型名称。</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_dialogs.py" line="457"/>
        <source>Testing: drafting one sentence…</source>
        <translation>正在测试：起草一句话…</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_dialogs.py" line="473"/>
        <source>{model} answered but wrote nothing.</source>
        <translation>{model} 已响应，但未写出任何内容。</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_dialogs.py" line="477"/>
        <source>Works: {model} wrote {tokens} tokens in {seconds} s — {rate} tokens/s</source>
        <translation>可用：{model} 用时 {seconds} s 写出 {tokens} 个词元 — {rate} 词元/s</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_dialogs.py" line="485"/>
        <source>, first after {seconds} s</source>
        <translation>，首个词元用时 {seconds} s</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_dialogs.py" line="488"/>
        <source>Structured output: {constraint}.</source>
        <translation>结构化输出：{constraint}。</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_dialogs.py" line="502"/>
        <source>GGUF model file</source>
        <translation>GGUF 模型文件</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_dialogs.py" line="504"/>
        <source>GGUF models (*.gguf)</source>
        <translation>GGUF 模型 (*.gguf)</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_dialogs.py" line="508"/>
        <source>Language model folder</source>
        <translation>语言模型文件夹</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_dialogs.py" line="518"/>
        <source>No folder: drafting uses the templates only.</source>
        <translation>未指定文件夹：仅使用模板起草。</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_dialogs.py" line="523"/>
        <source>Checking…</source>
        <translation>正在检查…</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_dialogs.py" line="540"/>
        <source>Importing (copying and hashing every file)…</source>
        <translation>正在导入（复制并计算每个文件的哈希值）…</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_dialogs.py" line="557"/>
        <source>Usable: {model}, {parameters} M parameters, needs {needed} GiB of {available} GiB available; prompts use its chat template.</source>
        <translation>可用：{model}，{parameters} M 参数，需要 {needed} GiB 内存（可用 {available} GiB）；提示词使用其对话模板。</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_dialogs.py" line="562"/>
        <source>Usable: {model}, {parameters} M parameters, needs {needed} GiB of {available} GiB available; prompts use a plain prompt.</source>
        <translation>可用：{model}，{parameters} M 参数，需要 {needed} GiB 内存（可用 {available} GiB）；使用普通提示词。</translation>
    </message>
</context>
<context>
    <name>ReviewBar</name>
    <message>
        <location filename="../../../desktop/assistant/report_review.py" line="64"/>
        <source>Mark reviewed</source>
        <translation>标为已审核</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_review.py" line="67"/>
        <source>Mark the selected sentences (or the one at the cursor)</source>
        <translation>标记所选句子（或光标所在的句子）</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_review.py" line="70"/>
        <source>Mark all reviewed</source>
        <translation>全部标为已审核</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_review.py" line="89"/>
        <source>Resolve</source>
        <translation>处理</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_review.py" line="92"/>
        <source>Keep the sentence as written: the conflict no longer blocks</source>
        <translation>保留该句原文：该冲突不再阻止签署</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_review.py" line="95"/>
        <source>Grounding conflicts</source>
        <translation>与检出项的冲突</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_review.py" line="131"/>
        <source>Grounding conflicts ({count})</source>
        <translation>与检出项的冲突（{count}）</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_review.py" line="133"/>
        <source>Grounding conflicts: none</source>
        <translation>与检出项的冲突：无</translation>
    </message>
</context>
<context>
    <name>SigningBlockedDialog</name>
    <message>
        <location filename="../../../desktop/assistant/report_dialogs.py" line="64"/>
        <source>Signing needs review</source>
        <extracomment>Report languages offered: (code, what the person reads).</extracomment>
        <translation>签署前需要审核</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_dialogs.py" line="68"/>
        <source>{count} item(s) need review before the report can be signed. Review them in the editor (Mark reviewed, Resolve), or sign anyway: the reason and these items are recorded with your signature.</source>
        <translation>签署报告前有 {count} 项需要审核。请在编辑器中审核（标为已审核、处理），或仍然签署：原因和这些项目将随您的签名一并记录。</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_dialogs.py" line="80"/>
        <source>Reason for signing without review (required)</source>
        <translation>未经审核签署的原因（必填）</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_dialogs.py" line="82"/>
        <source>Sign anyway</source>
        <translation>仍然签署</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_dialogs.py" line="86"/>
        <source>Review first</source>
        <translation>先审核</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/report_dialogs.py" line="97"/>
        <source>Override:</source>
        <translation>强制签署：</translation>
    </message>
</context>
<context>
    <name>TemplateStatusLabel</name>
    <message>
        <location filename="../../../desktop/assistant/template_status.py" line="57"/>
        <source>English</source>
        <translation>英文</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/template_status.py" line="59"/>
        <source>Chinese (中文)</source>
        <translation>中文</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/template_status.py" line="45"/>
        <source>The language model, typing, signing and export still work.</source>
        <translation>语言模型、手动输入、签署和导出仍可正常使用。</translation>
    </message>
    <message>
        <location filename="../../../desktop/assistant/template_status.py" line="69"/>
        <source>Template drafting in {language} is unavailable — {problem} ({remedy}).</source>
        <translation>无法按模板起草{language}报告 — {problem}（{remedy}）。</translation>
    </message>
</context>
</TS>
