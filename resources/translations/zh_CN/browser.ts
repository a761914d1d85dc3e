<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>LocaleFormatting</name>
    <message>
        <location filename="../../../desktop/browser/formatting.py" line="21"/>
        <source>(no name)</source>
        <translation>（无姓名）</translation>
    </message>
    <message>
        <location filename="../../../desktop/browser/formatting.py" line="38"/>
        <source>yyyy-MM-dd</source>
        <comment>date format of study dates</comment>
        <translation>yyyy-MM-dd</translation>
    </message>
</context>
<context>
    <name>StudyBrowser</name>
    <message>
        <location filename="../../../desktop/browser/study_browser.py" line="66"/>
        <source>Name</source>
        <extracomment>Data roles on column 0. Column titles (English sources; shown translated).</extracomment>
        <translation>名称</translation>
    </message>
    <message>
        <location filename="../../../desktop/browser/study_browser.py" line="67"/>
        <source>Modality</source>
        <translation>设备类型</translation>
    </message>
    <message>
        <location filename="../../../desktop/browser/study_browser.py" line="68"/>
        <source>Images</source>
        <translation>图像数</translation>
    </message>
    <message>
        <location filename="../../../desktop/browser/study_browser.py" line="69"/>
        <source>Notes</source>
        <translation>备注</translation>
    </message>
    <message>
        <location filename="../../../desktop/browser/study_browser.py" line="80"/>
        <source>Structured report</source>
        <extracomment>What a non-image object is (core&apos;s ObjectKind values), as the list names it.</extracomment>
        <translation>结构化报告</translation>
    </message>
    <message>
        <location filename="../../../desktop/browser/study_browser.py" line="81"/>
        <source>Presentation state</source>
        <translation>显示状态</translation>
    </message>
    <message>
        <location filename="../../../desktop/browser/study_browser.py" line="82"/>
        <source>Key object selection</source>
        <translation>关键对象选择</translation>
    </message>
    <message>
        <location filename="../../../desktop/browser/study_browser.py" line="83"/>
        <source>Radiotherapy object</source>
        <translation>放疗对象</translation>
    </message>
    <message>
        <location filename="../../../desktop/browser/study_browser.py" line="84"/>
        <source>Waveform</source>
        <translation>波形</translation>
    </message>
    <message>
        <location filename="../../../desktop/browser/study_browser.py" line="85"/>
        <source>Encapsulated document</source>
        <translation>封装文档</translation>
    </message>
    <message>
        <location filename="../../../desktop/browser/study_browser.py" line="86"/>
        <source>Segmentation</source>
        <translation>分割</translation>
    </message>
    <message>
        <location filename="../../../desktop/browser/study_browser.py" line="87"/>
        <source>Raw data</source>
        <translation>原始数据</translation>
    </message>
    <message>
        <location filename="../../../desktop/browser/study_browser.py" line="88"/>
        <source>Other non-image object</source>
        <translation>其他非图像对象</translation>
    </message>
    <message>
        <location filename="../../../desktop/browser/study_browser.py" line="92"/>
        <source>non-uniform spacing</source>
        <extracomment>Core&apos;s geometry problem kinds (GeometryProblem.kind), as the Notes column names them.</extracomment>
        <translation>层间距不均匀</translation>
    </message>
    <message>
        <location filename="../../../desktop/browser/study_browser.py" line="93"/>
        <source>duplicate position</source>
        <translation>位置重复</translation>
    </message>
    <message>
        <location filename="../../../desktop/browser/study_browser.py" line="94"/>
        <source>gap</source>
        <translation>层面缺失</translation>
    </message>
    <message>
        <location filename="../../../desktop/browser/study_browser.py" line="95"/>
        <source>gantry tilt</source>
        <translation>机架倾斜</translation>
    </message>
    <message>
        <location filename="../../../desktop/browser/study_browser.py" line="96"/>
        <source>missing position</source>
        <translation>缺少位置信息</translation>
    </message>
    <message>
        <location filename="../../../desktop/browser/study_browser.py" line="97"/>
        <source>mixed orientation</source>
        <translation>方向不一致</translation>
    </message>
    <message>
        <location filename="../../../desktop/browser/study_browser.py" line="98"/>
        <source>mixed size</source>
        <translation>尺寸不一致</translation>
    </message>
    <message>
        <location filename="../../../desktop/browser/study_browser.py" line="116"/>
        <source>1 file</source>
        <translation>1 个文件</translation>
    </message>
    <message>
        <location filename="../../../desktop/browser/study_browser.py" line="118"/>
        <source>{count} files</source>
        <translation>{count} 个文件</translation>
    </message>
    <message>
        <location filename="../../../desktop/browser/study_browser.py" line="126"/>
        <source>1 frame</source>
        <translation>1 帧</translation>
    </message>
    <message>
        <location filename="../../../desktop/browser/study_browser.py" line="127"/>
        <source>{count} frames</source>
        <translation>{count} 帧</translation>
    </message>
    <message>
        <location filename="../../../desktop/browser/study_browser.py" line="298"/>
        <source>Open series</source>
        <translation>打开序列</translation>
    </message>
    <message>
        <location filename="../../../desktop/browser/study_browser.py" line="302"/>
        <source>Show DICOM tags</source>
        <translation>显示 DICOM 标签</translation>
    </message>
    <message>
        <location filename="../../../desktop/browser/study_browser.py" line="334"/>
        <source>Other objects ({count})</source>
        <translation>其他对象（{count}）</translation>
    </message>
    <message>
        <location filename="../../../desktop/browser/study_browser.py" line="342"/>
        <source>Unreadable files ({count})</source>
        <translation>无法读取的文件（{count}）</translation>
    </message>
    <message>
        <location filename="../../../desktop/browser/study_browser.py" line="351"/>
        <source>Skipped files ({count})</source>
        <translation>已跳过的文件（{count}）</translation>
    </message>
    <message>
        <location filename="../../../desktop/browser/study_browser.py" line="372"/>
        <source>ID {patient_id}</source>
        <translation>ID {patient_id}</translation>
    </message>
    <message>
        <location filename="../../../desktop/browser/study_browser.py" line="374"/>
        <source>no patient ID</source>
        <translation>无患者 ID</translation>
    </message>
    <message>
        <location filename="../../../desktop/browser/study_browser.py" line="378"/>
        <source>born {date}</source>
        <translation>出生 {date}</translation>
    </message>
    <message>
        <location filename="../../../desktop/browser/study_browser.py" line="380"/>
        <source>, </source>
        <comment>separator of a list of patient details</comment>
        <translation>，</translation>
    </message>
    <message>
        <location filename="../../../desktop/browser/study_browser.py" line="388"/>
        <source>no date</source>
        <translation>无日期</translation>
    </message>
    <message>
        <location filename="../../../desktop/browser/study_browser.py" line="389"/>
        <location filename="../../../desktop/browser/study_browser.py" line="404"/>
        <location filename="../../../desktop/browser/study_browser.py" line="465"/>
        <source>(no description)</source>
        <translation>（无描述）</translation>
    </message>
    <message>
        <location filename="../../../desktop/browser/study_browser.py" line="390"/>
        <source>{count} series</source>
        <translation>{count} 个序列</translation>
    </message>
    <message>
        <location filename="../../../desktop/browser/study_browser.py" line="394"/>
        <source>Date: {date}</source>
        <translation>日期：{date}</translation>
    </message>
    <message>
        <location filename="../../../desktop/browser/study_browser.py" line="396"/>
        <source>Accession: {accession}</source>
        <translation>检查号：{accession}</translation>
    </message>
    <message>
        <location filename="../../../desktop/browser/study_browser.py" line="407"/>
        <source>split: {reason}</source>
        <translation>已拆分：{reason}</translation>
    </message>
    <message>
        <location filename="../../../desktop/browser/study_browser.py" line="435"/>
        <source>Listed only: this object is not an image.</source>
        <translation>仅列出：此对象不是图像。</translation>
    </message>
    <message>
        <location filename="../../../desktop/browser/study_browser.py" line="460"/>
        <source>{modality}, {files}, {frames}</source>
        <translation>{modality}，{files}，{frames}</translation>
    </message>
    <message>
        <location filename="../../../desktop/browser/study_browser.py" line="467"/>
        <source>Split: {reason}</source>
        <translation>已拆分：{reason}</translation>
    </message>
    <message>
        <location filename="../../../desktop/browser/study_browser.py" line="469"/>
        <source>Geometry ({kind}): {message}</source>
        <translation>几何问题（{kind}）：{message}</translation>
    </message>
    <message>
        <location filename="../../../desktop/browser/study_browser.py" line="475"/>
        <source>No thumbnail: {reason}</source>
        <translation>无缩略图：{reason}</translation>
    </message>
</context>
</TS>
