<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>DataProtectionDialog</name>
    <message>
        <location filename="../../../desktop/dialogs/data_protection.py" line="35"/>
        <source>Turning encryption off writes drafts and measurements in plain text (owner-only). Do this only where the disk itself is encrypted (BitLocker, FileVault, LUKS).</source>
        <translation>关闭加密后，草稿和测量将以明文保存（仅本人账户可读）。仅在磁盘本身已加密（BitLocker、FileVault、LUKS）时才这样做。</translation>
    </message>
    <message>
        <location filename="../../../desktop/dialogs/data_protection.py" line="61"/>
        <source>Data protection</source>
        <extracomment>:func:`off_warning` as the source says it.</extracomment>
        <translation>数据保护</translation>
    </message>
    <message>
        <location filename="../../../desktop/dialogs/data_protection.py" line="66"/>
        <source>Encrypt drafts, measurements and the analysis cache on this computer</source>
        <translation>加密本机上的草稿、测量和分析缓存</translation>
    </message>
    <message>
        <location filename="../../../desktop/dialogs/data_protection.py" line="78"/>
        <source>Data folder:</source>
        <translation>数据文件夹：</translation>
    </message>
    <message>
        <location filename="../../../desktop/dialogs/data_protection.py" line="79"/>
        <source>{folder} (owner-only)</source>
        <translation>{folder}（仅本人账户可读）</translation>
    </message>
    <message>
        <location filename="../../../desktop/dialogs/data_protection.py" line="80"/>
        <source>Exports go to:</source>
        <translation>导出位置：</translation>
    </message>
    <message>
        <location filename="../../../desktop/dialogs/data_protection.py" line="109"/>
        <source>Rewriting saved drafts and measurements…</source>
        <translation>正在重写已保存的草稿和测量…</translation>
    </message>
    <message>
        <location filename="../../../desktop/dialogs/data_protection.py" line="129"/>
        <source>Not changed completely: {reason}</source>
        <translation>未能全部更改：{reason}</translation>
    </message>
</context>
<context>
    <name>ModelsDialog</name>
    <message>
        <location filename="../../../desktop/dialogs/models_dialog.py" line="75"/>
        <source>bundled</source>
        <translation>内置</translation>
    </message>
    <message>
        <location filename="../../../desktop/dialogs/models_dialog.py" line="77"/>
        <source>your models</source>
        <translation>我的模型</translation>
    </message>
    <message>
        <location filename="../../../desktop/dialogs/models_dialog.py" line="79"/>
        <source>folder</source>
        <translation>文件夹</translation>
    </message>
    <message>
        <location filename="../../../desktop/dialogs/models_dialog.py" line="91"/>
        <source>Wrong hash</source>
        <translation>哈希值不符</translation>
    </message>
    <message>
        <location filename="../../../desktop/dialogs/models_dialog.py" line="92"/>
        <source>Unsafe (pickle) weights</source>
        <translation>不安全的权重（pickle）</translation>
    </message>
    <message>
        <location filename="../../../desktop/dialogs/models_dialog.py" line="95"/>
        <source>Weights do not fit the network</source>
        <translation>权重与网络不匹配</translation>
    </message>
    <message>
        <location filename="../../../desktop/dialogs/models_dialog.py" line="97"/>
        <source>Broken manifest</source>
        <translation>清单文件损坏</translation>
    </message>
    <message>
        <location filename="../../../desktop/dialogs/models_dialog.py" line="98"/>
        <source>Not found</source>
        <translation>未找到</translation>
    </message>
    <message>
        <location filename="../../../desktop/dialogs/models_dialog.py" line="103"/>
        <source>{title}: {reason}</source>
        <translation>{title}：{reason}</translation>
    </message>
    <message>
        <location filename="../../../desktop/dialogs/models_dialog.py" line="107"/>
        <source>Refused: {reason}</source>
        <translation>已拒绝：{reason}</translation>
    </message>
    <message>
        <location filename="../../../desktop/dialogs/models_dialog.py" line="111"/>
        <source>Could not read or copy the package: {reason}</source>
        <translation>无法读取或复制模型包：{reason}</translation>
    </message>
    <message>
        <location filename="../../../desktop/dialogs/models_dialog.py" line="150"/>
        <source>Models</source>
        <translation>模型</translation>
    </message>
    <message>
        <location filename="../../../desktop/dialogs/models_dialog.py" line="194"/>
        <source>&amp;Import Folder…</source>
        <translation>导入文件夹(&amp;I)…</translation>
    </message>
    <message>
        <location filename="../../../desktop/dialogs/models_dialog.py" line="197"/>
        <source>&amp;Remove</source>
        <translation>移除(&amp;R)</translation>
    </message>
    <message>
        <location filename="../../../desktop/dialogs/models_dialog.py" line="199"/>
        <source>Remove a package you imported (bundled ones stay)</source>
        <translation>移除您导入的模型包（内置模型包不可移除）</translation>
    </message>
    <message>
        <location filename="../../../desktop/dialogs/models_dialog.py" line="275"/>
        <source>Checking {folder}…</source>
        <translation>正在校验 {folder}…</translation>
    </message>
    <message>
        <location filename="../../../desktop/dialogs/models_dialog.py" line="300"/>
        <source>Remove model</source>
        <translation>移除模型</translation>
    </message>
    <message>
        <location filename="../../../desktop/dialogs/models_dialog.py" line="301"/>
        <source>Remove {model} from your models?</source>
        <translation>要从我的模型中移除 {model} 吗？</translation>
    </message>
    <message>
        <location filename="../../../desktop/dialogs/models_dialog.py" line="313"/>
        <source>Removed {model}.</source>
        <translation>已移除 {model}。</translation>
    </message>
    <message>
        <location filename="../../../desktop/dialogs/models_dialog.py" line="343"/>
        <source>  — demo</source>
        <translation>  — 演示</translation>
    </message>
    <message>
        <location filename="../../../desktop/dialogs/models_dialog.py" line="350"/>
        <source>{folder}  — refused</source>
        <translation>{folder}  — 已拒绝</translation>
    </message>
    <message>
        <location filename="../../../desktop/dialogs/models_dialog.py" line="357"/>
        <source>No model packages installed</source>
        <translation>未安装模型包</translation>
    </message>
    <message>
        <location filename="../../../desktop/dialogs/models_dialog.py" line="397"/>
        <source>Checking the files&apos; SHA-256…</source>
        <translation>正在校验文件的 SHA-256…</translation>
    </message>
    <message>
        <location filename="../../../desktop/dialogs/models_dialog.py" line="415"/>
        <source>✔ All {count} file(s) match their SHA-256; the weights fit the labels.</source>
        <translation>✔ 全部 {count} 个文件的 SHA-256 均一致；权重与标签匹配。</translation>
    </message>
    <message>
        <location filename="../../../desktop/dialogs/models_dialog.py" line="426"/>
        <source>Import Model Package Folder</source>
        <translation>导入模型包文件夹</translation>
    </message>
    <message>
        <location filename="../../../desktop/dialogs/models_dialog.py" line="435"/>
        <source>Imported {model} into your models (every file&apos;s SHA-256 checked).</source>
        <translation>已将 {model} 导入我的模型（已校验每个文件的 SHA-256）。</translation>
    </message>
    <message>
        <location filename="../../../desktop/dialogs/models_dialog.py" line="448"/>
        <source>Import cancelled.</source>
        <translation>已取消导入。</translation>
    </message>
    <message>
        <location filename="../../../desktop/dialogs/models_dialog.py" line="451"/>
        <source>Not imported. {reason}</source>
        <translation>未导入。{reason}</translation>
    </message>
    <message>
        <location filename="../../../desktop/dialogs/models_dialog.py" line="478"/>
        <location filename="../../../desktop/dialogs/models_dialog.py" line="487"/>
        <source>any</source>
        <translation>不限</translation>
    </message>
    <message>
        <location filename="../../../desktop/dialogs/models_dialog.py" line="489"/>
        <source>{age} years and over</source>
        <translation>{age} 岁及以上</translation>
    </message>
    <message>
        <location filename="../../../desktop/dialogs/models_dialog.py" line="498"/>
        <source>Not trained for (never shown): {labels}</source>
        <translation>未训练的标签（从不显示）：{labels}</translation>
    </message>
    <message>
        <location filename="../../../desktop/dialogs/models_dialog.py" line="506"/>
        <source>; indeterminate within {margin} below the threshold</source>
        <translation>；低于阈值 {margin} 以内为不确定</translation>
    </message>
    <message>
        <location filename="../../../desktop/dialogs/models_dialog.py" line="517"/>
        <source>Intended use</source>
        <translation>预期用途</translation>
    </message>
    <message>
        <location filename="../../../desktop/dialogs/models_dialog.py" line="519"/>
        <source>Task</source>
        <translation>任务</translation>
    </message>
    <message>
        <location filename="../../../desktop/dialogs/models_dialog.py" line="520"/>
        <source>Network</source>
        <translation>网络</translation>
    </message>
    <message>
        <location filename="../../../desktop/dialogs/models_dialog.py" line="522"/>
        <source>Input</source>
        <translation>输入</translation>
    </message>
    <message>
        <location filename="../../../desktop/dialogs/models_dialog.py" line="524"/>
        <source>{size}×{size}, {channels} channel(s), {preprocessing} preprocessing, {crop} crop</source>
        <translation>{size}×{size}，{channels} 通道，{preprocessing} 预处理，{crop} 裁剪</translation>
    </message>
    <message>
        <location filename="../../../desktop/dialogs/models_dialog.py" line="538"/>
        <source>Where it applies</source>
        <translation>适用范围</translation>
    </message>
    <message>
        <location filename="../../../desktop/dialogs/models_dialog.py" line="540"/>
        <source>Modality</source>
        <translation>模态</translation>
    </message>
    <message>
        <location filename="../../../desktop/dialogs/models_dialog.py" line="541"/>
        <source>Body part</source>
        <translation>检查部位</translation>
    </message>
    <message>
        <location filename="../../../desktop/dialogs/models_dialog.py" line="543"/>
        <source>View position</source>
        <translation>投照体位</translation>
    </message>
    <message>
        <location filename="../../../desktop/dialogs/models_dialog.py" line="545"/>
        <source>Age</source>
        <translation>年龄</translation>
    </message>
    <message>
        <location filename="../../../desktop/dialogs/models_dialog.py" line="548"/>
        <source>Labels ({count}) and operating thresholds{margin}</source>
        <translation>标签（{count} 个）及工作阈值{margin}</translation>
    </message>
    <message>
        <location filename="../../../desktop/dialogs/models_dialog.py" line="555"/>
        <source>Package</source>
        <translation>模型包</translation>
    </message>
    <message>
        <location filename="../../../desktop/dialogs/models_dialog.py" line="558"/>
        <source>From</source>
        <translation>来源</translation>
    </message>
    <message>
        <location filename="../../../desktop/dialogs/models_dialog.py" line="561"/>
        <source>Folder</source>
        <translation>文件夹</translation>
    </message>
    <message>
        <location filename="../../../desktop/dialogs/models_dialog.py" line="564"/>
        <source>Manifest SHA-256</source>
        <translation>清单 SHA-256</translation>
    </message>
    <message>
        <location filename="../../../desktop/dialogs/models_dialog.py" line="568"/>
        <source>Files</source>
        <translation>文件</translation>
    </message>
    <message>
        <location filename="../../../desktop/dialogs/models_dialog.py" line="579"/>
        <source>{folder} — refused</source>
        <translation>{folder} — 已拒绝</translation>
    </message>
    <message>
        <location filename="../../../desktop/dialogs/models_dialog.py" line="585"/>
        <source>Folder: {folder} ({origin})</source>
        <translation>文件夹：{folder}（{origin}）</translation>
    </message>
</context>
<context>
    <name>ShortcutsDialog</name>
    <message>
        <location filename="../../../desktop/dialogs/shortcuts.py" line="67"/>
        <source>Keyboard shortcuts</source>
        <translation>键盘快捷键</translation>
    </message>
    <message>
        <location filename="../../../desktop/dialogs/shortcuts.py" line="73"/>
        <source>Search keys or actions</source>
        <translation>搜索按键或操作</translation>
    </message>
    <message>
        <location filename="../../../desktop/dialogs/shortcuts.py" line="78"/>
        <source>Group</source>
        <translation>分组</translation>
    </message>
    <message>
        <location filename="../../../desktop/dialogs/shortcuts.py" line="78"/>
        <source>Keys</source>
        <translation>按键</translation>
    </message>
    <message>
        <location filename="../../../desktop/dialogs/shortcuts.py" line="78"/>
        <source>Action</source>
        <translation>操作</translation>
    </message>
    <message>
        <location filename="../../../desktop/dialogs/shortcuts.py" line="123"/>
        <source>{shown} of {total} shortcuts</source>
        <translation>显示 {shown} / {total} 个快捷键</translation>
    </message>
    <message>
        <location filename="../../../desktop/dialogs/shortcuts.py" line="125"/>
        <source>{total} shortcuts</source>
        <translation>共 {total} 个快捷键</translation>
    </message>
</context>
<context>
    <name>TagBrowserDialog</name>
    <message>
        <location filename="../../../desktop/dialogs/tag_browser.py" line="79"/>
        <source>DICOM tags — {file}</source>
        <extracomment>Search is applied this long after the last key press.</extracomment>
        <translation>DICOM 标签 — {file}</translation>
    </message>
    <message>
        <location filename="../../../desktop/dialogs/tag_browser.py" line="85"/>
        <source>Search tag (0010,0010), keyword or value</source>
        <translation>搜索标签 (0010,0010)、关键字或值</translation>
    </message>
    <message>
        <location filename="../../../desktop/dialogs/tag_browser.py" line="92"/>
        <source>Tag</source>
        <translation>标签</translation>
    </message>
    <message>
        <location filename="../../../desktop/dialogs/tag_browser.py" line="92"/>
        <source>Name</source>
        <translation>名称</translation>
    </message>
    <message>
        <location filename="../../../desktop/dialogs/tag_browser.py" line="92"/>
        <source>Value</source>
        <translation>值</translation>
    </message>
    <message>
        <location filename="../../../desktop/dialogs/tag_browser.py" line="104"/>
        <source>Reading the header…</source>
        <translation>正在读取文件头…</translation>
    </message>
    <message>
        <location filename="../../../desktop/dialogs/tag_browser.py" line="106"/>
        <location filename="../../../desktop/dialogs/tag_browser.py" line="265"/>
        <source>Copy value</source>
        <translation>复制值</translation>
    </message>
    <message>
        <location filename="../../../desktop/dialogs/tag_browser.py" line="175"/>
        <source>{shown} of {total} rows match or contain a match</source>
        <translation>{total} 行中有 {shown} 行匹配或包含匹配项</translation>
    </message>
    <message>
        <location filename="../../../desktop/dialogs/tag_browser.py" line="180"/>
        <location filename="../../../desktop/dialogs/tag_browser.py" line="236"/>
        <source>{total} rows</source>
        <translation>共 {total} 行</translation>
    </message>
    <message>
        <location filename="../../../desktop/dialogs/tag_browser.py" line="245"/>
        <source>Cannot read the tags: {reason}</source>
        <translation>无法读取标签：{reason}</translation>
    </message>
    <message>
        <location filename="../../../desktop/dialogs/tag_browser.py" line="269"/>
        <source>Copy tag</source>
        <translation>复制标签</translation>
    </message>
</context>
</TS>
