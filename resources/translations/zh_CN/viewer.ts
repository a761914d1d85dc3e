<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>AnnotationKeeper</name>
    <message>
        <location filename="../../../desktop/viewer/annotation_keeper.py" line="242"/>
        <source>{error}; new measurements will not be saved</source>
        <extracomment>What each viewport showing a reformatted plane added to the saved list.</extracomment>
        <translation>{error}；新的测量将不会保存</translation>
    </message>
    <message>
        <location filename="../../../desktop/viewer/annotation_keeper.py" line="397"/>
        <source>1 presentation state could not be read</source>
        <translation>1 个显示状态无法读取</translation>
    </message>
    <message>
        <location filename="../../../desktop/viewer/annotation_keeper.py" line="399"/>
        <source>{count} presentation states could not be read</source>
        <translation>{count} 个显示状态无法读取</translation>
    </message>
    <message>
        <location filename="../../../desktop/viewer/annotation_keeper.py" line="407"/>
        <source>{graphics} annotations on 1 image</source>
        <translation>1 幅图像上的 {graphics} 个标注</translation>
    </message>
    <message>
        <location filename="../../../desktop/viewer/annotation_keeper.py" line="409"/>
        <source>{graphics} annotations on {images} images</source>
        <translation>{images} 幅图像上的 {graphics} 个标注</translation>
    </message>
    <message>
        <location filename="../../../desktop/viewer/annotation_keeper.py" line="412"/>
        <source>Presentation state {names} applied: {what}</source>
        <translation>已应用显示状态 {names}：{what}</translation>
    </message>
    <message>
        <location filename="../../../desktop/viewer/annotation_keeper.py" line="414"/>
        <source>Presentation state applied: {what}</source>
        <translation>已应用显示状态：{what}</translation>
    </message>
    <message>
        <location filename="../../../desktop/viewer/annotation_keeper.py" line="423"/>
        <source>The presentation states could not be read: {error}</source>
        <translation>显示状态无法读取：{error}</translation>
    </message>
    <message>
        <location filename="../../../desktop/viewer/annotation_keeper.py" line="453"/>
        <source>There is no image to export annotations from</source>
        <translation>没有可导出标注的图像</translation>
    </message>
    <message>
        <location filename="../../../desktop/viewer/annotation_keeper.py" line="474"/>
        <source>1 presentation state (GSPS)</source>
        <translation>1 个显示状态 (GSPS)</translation>
    </message>
    <message>
        <location filename="../../../desktop/viewer/annotation_keeper.py" line="476"/>
        <source>{count} presentation states (GSPS)</source>
        <translation>{count} 个显示状态 (GSPS)</translation>
    </message>
    <message>
        <location filename="../../../desktop/viewer/annotation_keeper.py" line="478"/>
        <source>Exported {annotations} annotations as {states} to {folder}</source>
        <translation>已将 {annotations} 个标注导出为 {states}，保存到 {folder}</translation>
    </message>
    <message>
        <location filename="../../../desktop/viewer/annotation_keeper.py" line="483"/>
        <source>Not exported: {reason}</source>
        <translation>未导出：{reason}</translation>
    </message>
    <message>
        <location filename="../../../desktop/viewer/annotation_keeper.py" line="490"/>
        <source>The annotations could not be exported: {error}</source>
        <translation>标注无法导出：{error}</translation>
    </message>
</context>
<context>
    <name>HangingMode</name>
    <message>
        <location filename="../../../desktop/viewer/hanging_window.py" line="59"/>
        <source>Lung</source>
        <extracomment>The bundled protocols&apos; pane labels, for the translators: a pane shows its label in the interface language when it is one of these (a site&apos;s own labels are shown as written).</extracomment>
        <translation>肺窗</translation>
    </message>
    <message>
        <location filename="../../../desktop/viewer/hanging_window.py" line="60"/>
        <source>Mediastinum</source>
        <translation>纵隔窗</translation>
    </message>
    <message>
        <location filename="../../../desktop/viewer/hanging_window.py" line="61"/>
        <source>Coronal</source>
        <translation>冠状位</translation>
    </message>
    <message>
        <location filename="../../../desktop/viewer/hanging_window.py" line="62"/>
        <source>Brain</source>
        <translation>脑窗</translation>
    </message>
    <message>
        <location filename="../../../desktop/viewer/hanging_window.py" line="63"/>
        <source>Bone</source>
        <translation>骨窗</translation>
    </message>
    <message>
        <location filename="../../../desktop/viewer/hanging_window.py" line="64"/>
        <source>Current PA</source>
        <translation>本次后前位</translation>
    </message>
    <message>
        <location filename="../../../desktop/viewer/hanging_window.py" line="65"/>
        <source>Prior PA</source>
        <translation>既往后前位</translation>
    </message>
    <message>
        <location filename="../../../desktop/viewer/hanging_window.py" line="66"/>
        <source>T1</source>
        <translation>T1</translation>
    </message>
    <message>
        <location filename="../../../desktop/viewer/hanging_window.py" line="67"/>
        <source>T2</source>
        <translation>T2</translation>
    </message>
    <message>
        <location filename="../../../desktop/viewer/hanging_window.py" line="68"/>
        <source>FLAIR</source>
        <translation>FLAIR</translation>
    </message>
    <message>
        <location filename="../../../desktop/viewer/hanging_window.py" line="94"/>
        <source>Hanging &amp;Protocol</source>
        <extracomment>The viewport whose first image showed: the protocol applies when its load ends.</extracomment>
        <translation>挂片协议(&amp;P)</translation>
    </message>
    <message>
        <location filename="../../../desktop/viewer/hanging_window.py" line="117"/>
        <source>A hanging protocol file was not used: {problem}</source>
        <translation>有一个挂片协议文件未被采用：{problem}</translation>
    </message>
    <message>
        <location filename="../../../desktop/viewer/hanging_window.py" line="164"/>
        <source>Hanging protocol: {name}</source>
        <translation>挂片协议：{name}</translation>
    </message>
    <message>
        <location filename="../../../desktop/viewer/hanging_window.py" line="293"/>
        <source>None</source>
        <translation>无</translation>
    </message>
</context>
<context>
    <name>MprMode</name>
    <message>
        <location filename="../../../desktop/viewer/mpr_window.py" line="70"/>
        <source>MPR 1 × 3</source>
        <extracomment>Shortcut of each MPR layout.</extracomment>
        <translation>多平面重建 (MPR) 1 × 3</translation>
    </message>
    <message>
        <location filename="../../../desktop/viewer/mpr_window.py" line="70"/>
        <source>MPR 2 × 2</source>
        <translation>多平面重建 (MPR) 2 × 2</translation>
    </message>
    <message>
        <location filename="../../../desktop/viewer/mpr_window.py" line="77"/>
        <source>Axial, coronal and sagittal views of the series shown, with a crosshair</source>
        <translation>当前序列的轴位、冠状位和矢状位图像，带十字定位线</translation>
    </message>
    <message>
        <location filename="../../../desktop/viewer/mpr_window.py" line="82"/>
        <source>Reset MPR Planes</source>
        <translation>重置多平面重建平面</translation>
    </message>
    <message>
        <location filename="../../../desktop/viewer/mpr_window.py" line="84"/>
        <source>Turn oblique MPR planes back to the plain planes</source>
        <translation>将多平面重建的斜位平面恢复为轴位、冠状位和矢状位</translation>
    </message>
    <message>
        <location filename="../../../desktop/viewer/mpr_window.py" line="116"/>
        <source>Open a CT or MR series first, then choose MPR</source>
        <translation>请先打开一个 CT 或 MR 序列，再选择多平面重建</translation>
    </message>
    <message>
        <location filename="../../../desktop/viewer/mpr_window.py" line="127"/>
        <source>The series is still loading: MPR follows when it ends</source>
        <translation>序列仍在加载：加载完成后显示多平面重建</translation>
    </message>
</context>
<context>
    <name>MprView</name>
    <message>
        <location filename="../../../desktop/viewer/mpr_layout.py" line="125"/>
        <source>Slab (focused pane):</source>
        <extracomment>Layout names: three panes in a row, or four in a square. The slab thicknesses offered (mm); &quot;Custom…&quot; takes any other. Pane name → plane; the fourth is an axial slab (see the module notes). Shapes drawn on the acquired images, shown read-only where a plane holds them. Shapes drawn in MPR that no pane holds now (its plane turned): shown, and saved.</extracomment>
        <translation>层块（当前窗格）：</translation>
    </message>
    <message>
        <location filename="../../../desktop/viewer/mpr_layout.py" line="129"/>
        <source>Off</source>
        <translation>关</translation>
    </message>
    <message>
        <location filename="../../../desktop/viewer/mpr_layout.py" line="130"/>
        <source>MIP</source>
        <translation>最大密度投影 (MIP)</translation>
    </message>
    <message>
        <location filename="../../../desktop/viewer/mpr_layout.py" line="131"/>
        <source>MinIP</source>
        <translation>最小密度投影 (MinIP)</translation>
    </message>
    <message>
        <location filename="../../../desktop/viewer/mpr_layout.py" line="132"/>
        <source>Average</source>
        <translation>平均密度投影</translation>
    </message>
    <message>
        <location filename="../../../desktop/viewer/mpr_layout.py" line="138"/>
        <source>{mm} mm</source>
        <translation>{mm} mm</translation>
    </message>
    <message>
        <location filename="../../../desktop/viewer/mpr_layout.py" line="139"/>
        <source>Custom…</source>
        <translation>自定义…</translation>
    </message>
    <message>
        <location filename="../../../desktop/viewer/mpr_layout.py" line="144"/>
        <source> mm</source>
        <translation> mm</translation>
    </message>
    <message>
        <location filename="../../../desktop/viewer/mpr_layout.py" line="152"/>
        <source>Reset planes</source>
        <translation>重置平面</translation>
    </message>
    <message>
        <location filename="../../../desktop/viewer/mpr_layout.py" line="155"/>
        <source>Turn oblique planes back to axial, coronal, sagittal</source>
        <translation>将斜位平面恢复为轴位、冠状位和矢状位</translation>
    </message>
</context>
<context>
    <name>MprViewport</name>
    <message>
        <location filename="../../../desktop/viewer/mpr_viewport.py" line="67"/>
        <source>MIP</source>
        <extracomment>Each plane&apos;s colour: its frame, and its reference line in the other panes (as Horos). The slab mode of a pane that shows one plane.</extracomment>
        <translation>最大密度投影</translation>
    </message>
    <message>
        <location filename="../../../desktop/viewer/mpr_viewport.py" line="68"/>
        <source>MinIP</source>
        <translation>最小密度投影</translation>
    </message>
    <message>
        <location filename="../../../desktop/viewer/mpr_viewport.py" line="69"/>
        <source>Avg</source>
        <translation>平均密度投影</translation>
    </message>
    <message>
        <location filename="../../../desktop/viewer/mpr_viewport.py" line="79"/>
        <source>Axial</source>
        <extracomment>Display order: axial superior first, coronal anterior first, sagittal right first (as :mod:`core.dicom.reading_order` orders acquired stacks).</extracomment>
        <translation>轴位</translation>
    </message>
    <message>
        <location filename="../../../desktop/viewer/mpr_viewport.py" line="80"/>
        <source>Coronal</source>
        <translation>冠状位</translation>
    </message>
    <message>
        <location filename="../../../desktop/viewer/mpr_viewport.py" line="81"/>
        <source>Sagittal</source>
        <translation>矢状位</translation>
    </message>
    <message>
        <location filename="../../../desktop/viewer/mpr_viewport.py" line="341"/>
        <source>Oblique ({plane} {angle}°)</source>
        <extracomment>The other planes to draw here: (plane, where it lies), given by the layout.</extracomment>
        <translation>斜位（{plane} {angle}°）</translation>
    </message>
    <message>
        <location filename="../../../desktop/viewer/mpr_viewport.py" line="346"/>
        <source>Im {number}/{count}</source>
        <translation>图像 {number}/{count}</translation>
    </message>
    <message>
        <location filename="../../../desktop/viewer/mpr_viewport.py" line="349"/>
        <source>Pos {position} mm</source>
        <translation>位置 {position} mm</translation>
    </message>
    <message>
        <location filename="../../../desktop/viewer/mpr_viewport.py" line="354"/>
        <source>{mode} {thickness} mm</source>
        <translation>{mode} {thickness} mm</translation>
    </message>
</context>
<context>
    <name>Viewport</name>
    <message>
        <location filename="../../../desktop/viewer/viewer_texts.py" line="23"/>
        <source>Wheel, Up / Down, Left / Right</source>
        <translation>滚轮，上 / 下、左 / 右方向键</translation>
    </message>
    <message>
        <location filename="../../../desktop/viewer/viewer_texts.py" line="24"/>
        <source>Previous / next image</source>
        <translation>上一幅 / 下一幅图像</translation>
    </message>
    <message>
        <location filename="../../../desktop/viewer/viewer_texts.py" line="26"/>
        <source>Back / forward 10 images</source>
        <translation>后退 / 前进 10 幅图像</translation>
    </message>
    <message>
        <location filename="../../../desktop/viewer/viewer_texts.py" line="27"/>
        <source>First / last image (axial: head first)</source>
        <translation>第一幅 / 最后一幅图像（轴位：头侧在前）</translation>
    </message>
    <message>
        <location filename="../../../desktop/viewer/viewer_texts.py" line="29"/>
        <source>Right-drag</source>
        <translation>右键拖动</translation>
    </message>
    <message>
        <location filename="../../../desktop/viewer/viewer_texts.py" line="30"/>
        <source>Window: left/right width, up/down level</source>
        <translation>调窗：左右拖动调窗宽，上下拖动调窗位</translation>
    </message>
    <message>
        <location filename="../../../desktop/viewer/viewer_texts.py" line="33"/>
        <source>Middle-drag, or left-drag with no tool</source>
        <translation>中键拖动，或无工具时左键拖动</translation>
    </message>
    <message>
        <location filename="../../../desktop/viewer/viewer_texts.py" line="34"/>
        <source>Pan</source>
        <translation>平移</translation>
    </message>
    <message>
        <location filename="../../../desktop/viewer/viewer_texts.py" line="37"/>
        <source>Ctrl+Wheel, + / -</source>
        <translation>Ctrl+滚轮，+ / -</translation>
    </message>
    <message>
        <location filename="../../../desktop/viewer/viewer_texts.py" line="38"/>
        <source>Zoom in / out</source>
        <translation>放大 / 缩小</translation>
    </message>
    <message>
        <location filename="../../../desktop/viewer/viewer_texts.py" line="40"/>
        <source>Fit to window</source>
        <translation>适合窗口</translation>
    </message>
    <message>
        <location filename="../../../desktop/viewer/viewer_texts.py" line="41"/>
        <source>Actual size (1:1)</source>
        <translation>实际大小 (1:1)</translation>
    </message>
    <message>
        <location filename="../../../desktop/viewer/viewer_texts.py" line="42"/>
        <source>Window presets, in the order listed</source>
        <translation>窗预设，按列出的顺序</translation>
    </message>
    <message>
        <location filename="../../../desktop/viewer/viewer_texts.py" line="43"/>
        <source>Automatic window</source>
        <translation>自动窗宽/窗位</translation>
    </message>
    <message>
        <location filename="../../../desktop/viewer/viewer_texts.py" line="44"/>
        <source>Invert greys</source>
        <translation>灰度反相</translation>
    </message>
    <message>
        <location filename="../../../desktop/viewer/viewer_texts.py" line="45"/>
        <source>Rotate 90° clockwise / anticlockwise</source>
        <translation>顺时针 / 逆时针旋转 90°</translation>
    </message>
    <message>
        <location filename="../../../desktop/viewer/viewer_texts.py" line="46"/>
        <source>Flip horizontally / vertically</source>
        <translation>水平 / 垂直翻转</translation>
    </message>
    <message>
        <location filename="../../../desktop/viewer/viewer_texts.py" line="47"/>
        <source>Reset view (zoom, rotation, flips, window)</source>
        <translation>重置视图（缩放、旋转、翻转、窗宽/窗位）</translation>
    </message>
    <message>
        <location filename="../../../desktop/viewer/viewer_texts.py" line="48"/>
        <source>Show / hide overlays</source>
        <translation>显示 / 隐藏叠加信息</translation>
    </message>
    <message>
        <location filename="../../../desktop/viewer/viewer_texts.py" line="51"/>
        <source>Tool: select, distance, angle, rectangle ROI, ellipse ROI</source>
        <translation>工具：选择、距离、角度、矩形 ROI、椭圆 ROI</translation>
    </message>
    <message>
        <location filename="../../../desktop/viewer/viewer_texts.py" line="53"/>
        <source>Cancel the measurement being drawn, then select tool</source>
        <translation>取消正在绘制的测量，再按一次切换到选择工具</translation>
    </message>
    <message>
        <location filename="../../../desktop/viewer/viewer_texts.py" line="54"/>
        <source>Delete the selected measurement</source>
        <translation>删除选中的测量</translation>
    </message>
    <message>
        <location filename="../../../desktop/viewer/viewer_texts.py" line="55"/>
        <source>Undo the last measurement change</source>
        <translation>撤销上一次测量修改</translation>
    </message>
    <message>
        <location filename="../../../desktop/viewer/viewer_texts.py" line="56"/>
        <source>Play / pause cine</source>
        <translation>播放 / 暂停电影回放</translation>
    </message>
    <message>
        <location filename="../../../desktop/viewer/viewer_texts.py" line="57"/>
        <source>Cine slower / faster</source>
        <translation>电影回放减速 / 加速</translation>
    </message>
    <message>
        <location filename="../../../desktop/viewer/viewport.py" line="624"/>
        <source>Drop a series here</source>
        <extracomment>Drag payload of a series (the browser starts it, a viewport accepts it): the key, utf-8. The cine&apos;s clock (seconds, monotonic); tests put a clock they move by hand here.</extracomment>
        <translation>将序列拖放到此处</translation>
    </message>
    <message>
        <location filename="../../../desktop/viewer/viewport.py" line="650"/>
        <source>Image {number} could not be read</source>
        <translation>第 {number} 幅图像无法读取</translation>
    </message>
    <message>
        <location filename="../../../desktop/viewer/viewport.py" line="652"/>
        <source>Loading image {number}…</source>
        <translation>正在加载第 {number} 幅图像…</translation>
    </message>
    <message>
        <location filename="../../../desktop/viewer/viewport.py" line="661"/>
        <source>uncalibrated: no pixel spacing</source>
        <translation>未校准：无像素间距</translation>
    </message>
</context>
</TS>
