<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>DimseNodeForm</name>
    <message>
        <location filename="../../../desktop/pacs/node_forms.py" line="209"/>
        <source>Name</source>
        <translation>名称</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/node_forms.py" line="210"/>
        <source>Description</source>
        <translation>描述</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/node_forms.py" line="211"/>
        <source>AE title</source>
        <translation>AE 标题</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/node_forms.py" line="212"/>
        <source>Host</source>
        <translation>主机</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/node_forms.py" line="213"/>
        <source>Port</source>
        <translation>端口</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/node_forms.py" line="214"/>
        <source>Used for</source>
        <translation>用途</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/node_forms.py" line="215"/>
        <source>Retrieve by</source>
        <translation>获取方式</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/node_forms.py" line="216"/>
        <source>Timeout</source>
        <translation>超时</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/node_forms.py" line="224"/>
        <source>a node needs a name</source>
        <translation>节点需要名称</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/node_forms.py" line="229"/>
        <source>the AE title</source>
        <comment>named in a message: &apos;… must be 1 to 16 characters&apos;</comment>
        <translation>AE 标题</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/node_forms.py" line="233"/>
        <source>a node needs a host name or address</source>
        <translation>节点需要主机名或地址</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/node_forms.py" line="238"/>
        <source>the port</source>
        <comment>named in a message: &apos;… must be 1 to 65535&apos;</comment>
        <translation>端口</translation>
    </message>
</context>
<context>
    <name>LocalNodeForm</name>
    <message>
        <location filename="../../../desktop/pacs/node_forms.py" line="147"/>
        <source>empty: not listening (C-GET and sending still work)</source>
        <translation>留空：不监听（C-GET 和发送仍可使用）</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/node_forms.py" line="148"/>
        <source>Receive studies pushed to this workstation</source>
        <translation>接收推送到本工作站的检查</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/node_forms.py" line="152"/>
        <source>Our AE title</source>
        <translation>本机 AE 标题</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/node_forms.py" line="153"/>
        <source>Listening port</source>
        <translation>监听端口</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/node_forms.py" line="164"/>
        <source>our AE title</source>
        <comment>named in a message: &apos;… must be 1 to 16 characters&apos;</comment>
        <translation>本机 AE 标题</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/node_forms.py" line="174"/>
        <source>our listening port</source>
        <comment>named in a message: &apos;… must be 1 to 65535&apos;</comment>
        <translation>本机监听端口</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/node_forms.py" line="179"/>
        <source>receiving needs a listening port: enter one above</source>
        <translation>接收需要监听端口：请在上方填写</translation>
    </message>
</context>
<context>
    <name>NodeChooser</name>
    <message>
        <location filename="../../../desktop/pacs/common.py" line="97"/>
        <source>No node configured: add one in Settings → DICOM Nodes…</source>
        <translation>尚未配置节点：请在“设置 → DICOM 节点…”中添加</translation>
    </message>
</context>
<context>
    <name>NodeEditor</name>
    <message>
        <location filename="../../../desktop/pacs/nodes_dialog.py" line="98"/>
        <source>DICOM node</source>
        <translation>DICOM 节点</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/nodes_dialog.py" line="98"/>
        <source>DICOMweb node</source>
        <translation>DICOMweb 节点</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/nodes_dialog.py" line="125"/>
        <source>another node is already named {name}</source>
        <translation>已有其他节点名为 {name}</translation>
    </message>
</context>
<context>
    <name>NodeForms</name>
    <message>
        <location filename="../../../desktop/pacs/node_forms.py" line="46"/>
        <source>Query/retrieve</source>
        <extracomment>(value, label) of each choice; labels are English sources shown translated.</extracomment>
        <translation>查询/获取</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/node_forms.py" line="47"/>
        <source>Storage (send to it)</source>
        <translation>存储（向其发送）</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/node_forms.py" line="48"/>
        <source>Both</source>
        <translation>两者</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/node_forms.py" line="51"/>
        <source>C-GET (no inbound connection needed)</source>
        <translation>C-GET（无需入站连接）</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/node_forms.py" line="52"/>
        <source>C-MOVE to our port</source>
        <translation>C-MOVE 到本机端口</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/node_forms.py" line="55"/>
        <source>None</source>
        <translation>无</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/node_forms.py" line="56"/>
        <source>HTTP basic (user and password)</source>
        <translation>HTTP 基本认证（用户名和密码）</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/node_forms.py" line="57"/>
        <source>Token</source>
        <translation>令牌</translation>
    </message>
</context>
<context>
    <name>NodesDialog</name>
    <message>
        <location filename="../../../desktop/pacs/nodes_dialog.py" line="160"/>
        <source>DICOM Nodes</source>
        <translation>DICOM 节点</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/nodes_dialog.py" line="171"/>
        <source>This workstation</source>
        <translation>本工作站</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/nodes_dialog.py" line="178"/>
        <source>Add DICOM node…</source>
        <translation>添加 DICOM 节点…</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/nodes_dialog.py" line="180"/>
        <source>Add DICOMweb node…</source>
        <translation>添加 DICOMweb 节点…</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/nodes_dialog.py" line="182"/>
        <source>Edit…</source>
        <translation>编辑…</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/nodes_dialog.py" line="184"/>
        <source>Duplicate</source>
        <translation>复制</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/nodes_dialog.py" line="186"/>
        <source>Remove</source>
        <translation>删除</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/nodes_dialog.py" line="188"/>
        <source>Test</source>
        <translation>测试</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/nodes_dialog.py" line="210"/>
        <source>Remote nodes (PACS, DICOMweb servers)</source>
        <translation>远程节点（PACS、DICOMweb 服务器）</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/nodes_dialog.py" line="250"/>
        <source>Passwords and tokens are kept in the system keyring, never in the nodes file.</source>
        <translation>密码和令牌保存在系统密钥环中，不会写入节点文件。</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/nodes_dialog.py" line="253"/>
        <source>No system keyring was found: passwords and tokens are kept for this session only (never in the nodes file) and will be asked for again next time.</source>
        <translation>未找到系统密钥环：密码和令牌仅在本次会话中保留（不会写入节点文件），下次将再次询问。</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/nodes_dialog.py" line="313"/>
        <source>{name} copy</source>
        <translation>{name} 副本</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/nodes_dialog.py" line="316"/>
        <source>{name} copy {number}</source>
        <translation>{name} 副本 {number}</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/nodes_dialog.py" line="334"/>
        <source>Fix this workstation&apos;s AE title or port first.</source>
        <translation>请先修正本工作站的 AE 标题或端口。</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/nodes_dialog.py" line="337"/>
        <source>Not tested: the password or token was not given.</source>
        <translation>未测试：未提供密码或令牌。</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/nodes_dialog.py" line="341"/>
        <source>Testing {node}…</source>
        <translation>正在测试 {node}…</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/nodes_dialog.py" line="354"/>
        <source>C-ECHO answered in {echo_ms} ms; a C-FIND answered in {find_ms} ms. {node} is ready.</source>
        <translation>C-ECHO 响应用时 {echo_ms} ms；C-FIND 响应用时 {find_ms} ms。{node} 已就绪。</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/nodes_dialog.py" line="359"/>
        <source>The DICOMweb server answered in {echo_ms} ms; a QIDO-RS search answered in {find_ms} ms. {node} is ready.</source>
        <translation>DICOMweb 服务器响应用时 {echo_ms} ms；QIDO-RS 搜索响应用时 {find_ms} ms。{node} 已就绪。</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/nodes_dialog.py" line="375"/>
        <source>Test failed: {reason}</source>
        <translation>测试失败：{reason}</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/nodes_dialog.py" line="400"/>
        <source>Not saved: {reason}</source>
        <translation>未保存：{reason}</translation>
    </message>
</context>
<context>
    <name>PacsCommon</name>
    <message>
        <location filename="../../../desktop/pacs/common.py" line="61"/>
        <source>{name} — {ae_title} at {host}:{port} (DIMSE)</source>
        <translation>{name} — {ae_title}，{host}:{port}（DIMSE）</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/common.py" line="64"/>
        <source>{name} — {url} (DICOMweb)</source>
        <translation>{name} — {url}（DICOMweb）</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/common.py" line="126"/>
        <source>The password for {user} at {url}
(kept {where}):</source>
        <translation>{url} 上用户 {user} 的密码
（保存位置：{where}）：</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/common.py" line="130"/>
        <source>The access token at {url}
(kept {where}):</source>
        <translation>{url} 的访问令牌
（保存位置：{where}）：</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/common.py" line="135"/>
        <source>DICOMweb credentials</source>
        <translation>DICOMweb 凭据</translation>
    </message>
</context>
<context>
    <name>QueryDialog</name>
    <message>
        <location filename="../../../desktop/pacs/query_dialog.py" line="65"/>
        <source>Patient</source>
        <extracomment>Column titles of the results (English sources, shown translated).</extracomment>
        <translation>患者</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/query_dialog.py" line="66"/>
        <source>Patient ID</source>
        <translation>患者 ID</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/query_dialog.py" line="67"/>
        <source>Date</source>
        <translation>日期</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/query_dialog.py" line="68"/>
        <source>Description</source>
        <translation>描述</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/query_dialog.py" line="69"/>
        <source>Modality</source>
        <translation>设备类型</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/query_dialog.py" line="70"/>
        <source>Accession</source>
        <translation>检查号</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/query_dialog.py" line="71"/>
        <source>Series</source>
        <translation>序列数</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/query_dialog.py" line="72"/>
        <source>Images</source>
        <translation>图像数</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/query_dialog.py" line="73"/>
        <source>Status</source>
        <translation>状态</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/query_dialog.py" line="78"/>
        <source>The node&apos;s preference</source>
        <translation>按节点设置</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/query_dialog.py" line="79"/>
        <source>C-GET</source>
        <translation>C-GET</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/query_dialog.py" line="80"/>
        <source>C-MOVE to our port</source>
        <translation>C-MOVE 到本机端口</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/query_dialog.py" line="96"/>
        <source>{received} of {expected} received</source>
        <translation>已接收 {received}/{expected}</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/query_dialog.py" line="99"/>
        <source>{received} received</source>
        <translation>已接收 {received}</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/query_dialog.py" line="135"/>
        <source>Query PACS</source>
        <translation>查询 PACS</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/query_dialog.py" line="154"/>
        <source>Search</source>
        <translation>查询</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/query_dialog.py" line="158"/>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/query_dialog.py" line="181"/>
        <source>{ae_title} (our AE title)</source>
        <translation>{ae_title}（本机 AE 标题）</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/query_dialog.py" line="184"/>
        <source>The AE title the PACS sends C-MOVE results to; leave empty for ours</source>
        <translation>PACS 发送 C-MOVE 结果的目标 AE 标题；留空则为本机</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/query_dialog.py" line="187"/>
        <location filename="../../../desktop/pacs/query_dialog.py" line="513"/>
        <source>Retrieve</source>
        <translation>获取</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/query_dialog.py" line="195"/>
        <source>Choose a node, fill in what you know, and Search.</source>
        <translation>请选择节点，填写已知信息，然后点击“查询”。</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/query_dialog.py" line="202"/>
        <source>Node</source>
        <translation>节点</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/query_dialog.py" line="209"/>
        <source>Retrieve by</source>
        <translation>获取方式</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/query_dialog.py" line="211"/>
        <source>C-MOVE destination</source>
        <translation>C-MOVE 目标</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/query_dialog.py" line="247"/>
        <source>A DICOMweb node is retrieved from by WADO-RS</source>
        <translation>DICOMweb 节点通过 WADO-RS 获取</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/query_dialog.py" line="266"/>
        <source>Not searched: the password or token was not given.</source>
        <translation>未查询：未提供密码或令牌。</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/query_dialog.py" line="276"/>
        <source>Searching…</source>
        <translation>正在查询…</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/query_dialog.py" line="319"/>
        <source>in the archive: {count}</source>
        <translation>本地归档中已有：{count}</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/query_dialog.py" line="332"/>
        <source>No study matches this search.</source>
        <translation>没有符合条件的检查。</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/query_dialog.py" line="334"/>
        <source>1 study found</source>
        <translation>找到 1 个检查</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/query_dialog.py" line="334"/>
        <source>{count} studies found</source>
        <translation>找到 {count} 个检查</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/query_dialog.py" line="337"/>
        <source>{found} (the limit: narrow the search to see others).</source>
        <translation>{found}（已达上限：请缩小查询范围以查看其他检查）。</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/query_dialog.py" line="339"/>
        <source>{found}.</source>
        <translation>{found}。</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/query_dialog.py" line="344"/>
        <source>Search cancelled.</source>
        <translation>查询已取消。</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/query_dialog.py" line="346"/>
        <source>The search failed: {reason}</source>
        <translation>查询失败：{reason}</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/query_dialog.py" line="361"/>
        <source>finding series…</source>
        <translation>正在查找序列…</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/query_dialog.py" line="385"/>
        <source>no series listed</source>
        <translation>未列出序列</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/query_dialog.py" line="389"/>
        <source>series not listed</source>
        <translation>无法列出序列</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/query_dialog.py" line="390"/>
        <source>The series could not be listed: {reason}</source>
        <translation>无法列出序列：{reason}</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/query_dialog.py" line="428"/>
        <source>Not retrieved: the password or token was not given.</source>
        <translation>未获取：未提供密码或令牌。</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/query_dialog.py" line="436"/>
        <source>waiting…</source>
        <translation>等待中…</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/query_dialog.py" line="438"/>
        <source>Retrieving 1 study…</source>
        <translation>正在获取 1 个检查…</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/query_dialog.py" line="440"/>
        <source>Retrieving {count} studies…</source>
        <translation>正在获取 {count} 个检查…</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/query_dialog.py" line="476"/>
        <source>study {number} of {count}: %v/%m</source>
        <translation>第 {number}/{count} 个检查：%v/%m</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/query_dialog.py" line="485"/>
        <source>in the archive</source>
        <translation>已在本地归档中</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/query_dialog.py" line="498"/>
        <source>Retrieval finished: {arrived} instances arrived, {failed} failed, {already} were already present.</source>
        <translation>获取完成：收到 {arrived} 个实例，失败 {failed} 个，已存在 {already} 个。</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/query_dialog.py" line="510"/>
        <source>Retrieve again to fetch what is missing (what arrived is kept).</source>
        <translation>点击“重新获取”可获取缺失部分（已收到的内容会保留）。</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/query_dialog.py" line="511"/>
        <location filename="../../../desktop/pacs/query_dialog.py" line="552"/>
        <source>Retrieve again</source>
        <translation>重新获取</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/query_dialog.py" line="519"/>
        <source>stopped: {count} received</source>
        <translation>已停止：已接收 {count}</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/query_dialog.py" line="524"/>
        <source>already in the archive</source>
        <translation>已在本地归档中</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/query_dialog.py" line="525"/>
        <source>complete: {count} arrived</source>
        <translation>完成：收到 {count}</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/query_dialog.py" line="528"/>
        <source>incomplete: {count} failed</source>
        <translation>不完整：失败 {count}</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/query_dialog.py" line="534"/>
        <source>The retrieval failed: {reason}</source>
        <translation>获取失败：{reason}</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/query_dialog.py" line="543"/>
        <source>{received} of {expected}</source>
        <translation>{received}/{expected}</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/query_dialog.py" line="551"/>
        <source>cancelled: {count} received</source>
        <translation>已取消：已接收 {count}</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/query_dialog.py" line="555"/>
        <source>Retrieval cancelled: {counts} instances arrived and are kept in the archive. Retrieve again to fetch the rest.</source>
        <translation>获取已取消：已收到 {counts} 个实例，均保留在本地归档中。点击“重新获取”可获取其余部分。</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/query_dialog.py" line="557"/>
        <source>, </source>
        <comment>separator of a list of counts</comment>
        <translation>，</translation>
    </message>
</context>
<context>
    <name>QueryForm</name>
    <message>
        <location filename="../../../desktop/pacs/query_form.py" line="35"/>
        <source>Any date</source>
        <extracomment>The quick choices of the date field, in the order shown.</extracomment>
        <translation>任意日期</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/query_form.py" line="36"/>
        <source>Today</source>
        <translation>今天</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/query_form.py" line="37"/>
        <source>Yesterday</source>
        <translation>昨天</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/query_form.py" line="38"/>
        <source>Last 7 days</source>
        <translation>最近 7 天</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/query_form.py" line="39"/>
        <source>Between…</source>
        <translation>日期范围…</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/query_form.py" line="67"/>
        <source>DOE^J*  (* and ? are wildcards)</source>
        <translation>ZHANG^S*（* 和 ? 为通配符）</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/query_form.py" line="74"/>
        <source>*CHEST*</source>
        <comment>a wildcard search example</comment>
        <translation>*CHEST*</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/query_form.py" line="104"/>
        <source>to</source>
        <comment>a date range: from … to …</comment>
        <translation>至</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/query_form.py" line="111"/>
        <source>Patient name</source>
        <translation>患者姓名</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/query_form.py" line="111"/>
        <source>Patient ID</source>
        <translation>患者 ID</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/query_form.py" line="112"/>
        <source>Accession</source>
        <translation>检查号</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/query_form.py" line="112"/>
        <source>Modality</source>
        <translation>设备类型</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/query_form.py" line="113"/>
        <source>Study date</source>
        <translation>检查日期</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/query_form.py" line="113"/>
        <source>Description</source>
        <translation>描述</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/query_form.py" line="120"/>
        <source>At most</source>
        <translation>最多</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/query_form.py" line="123"/>
        <source>studies</source>
        <comment>at most N studies</comment>
        <translation>个检查</translation>
    </message>
</context>
<context>
    <name>SendDialog</name>
    <message>
        <location filename="../../../desktop/pacs/send_dialog.py" line="45"/>
        <source>Report (Basic Text SR)</source>
        <extracomment>What a SOP Class is, for a person (PS3.4 Annex B.5); English sources, shown translated.</extracomment>
        <translation>报告（Basic Text SR）</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/send_dialog.py" line="46"/>
        <source>Report (Enhanced SR)</source>
        <translation>报告（Enhanced SR）</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/send_dialog.py" line="47"/>
        <source>Report (Comprehensive SR)</source>
        <translation>报告（Comprehensive SR）</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/send_dialog.py" line="48"/>
        <source>Structured report (Comprehensive 3D SR)</source>
        <translation>结构化报告（Comprehensive 3D SR）</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/send_dialog.py" line="51"/>
        <source>Heatmap or screen capture (Secondary Capture)</source>
        <translation>热图或屏幕截图（Secondary Capture）</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/send_dialog.py" line="54"/>
        <source>Heatmap (multi-frame true colour Secondary Capture)</source>
        <translation>热图（多帧真彩色 Secondary Capture）</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/send_dialog.py" line="57"/>
        <source>Heatmap (Parametric Map)</source>
        <translation>热图（Parametric Map）</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/send_dialog.py" line="58"/>
        <source>Segmentation</source>
        <translation>分割</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/send_dialog.py" line="59"/>
        <source>Presentation state (Grayscale Softcopy)</source>
        <translation>显示状态（Grayscale Softcopy）</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/send_dialog.py" line="62"/>
        <source>Presentation state (Color Softcopy)</source>
        <translation>显示状态（Color Softcopy）</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/send_dialog.py" line="65"/>
        <source>Encapsulated PDF</source>
        <translation>封装 PDF</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/send_dialog.py" line="73"/>
        <source>File</source>
        <extracomment>&quot;Imaging Measurement Report&quot; (DCM 126000): the root of TID 1500 (AI results). C-STORE statuses that mean the node already holds the instance (PS3.4 B.2.3, and 0x0111 &quot;duplicate SOP instance&quot; some archives answer).</extracomment>
        <translation>文件</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/send_dialog.py" line="74"/>
        <source>What it is</source>
        <translation>内容</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/send_dialog.py" line="75"/>
        <source>Status</source>
        <translation>状态</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/send_dialog.py" line="98"/>
        <source>not a DICOM file (will not be sent)</source>
        <translation>不是 DICOM 文件（不会发送）</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/send_dialog.py" line="100"/>
        <source>cannot be read ({reason})</source>
        <translation>无法读取（{reason}）</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/send_dialog.py" line="110"/>
        <source>AI results (SR, TID 1500 measurement report)</source>
        <translation>AI 结果（SR，TID 1500 测量报告）</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/send_dialog.py" line="117"/>
        <source>DICOM object ({name})</source>
        <translation>DICOM 对象（{name}）</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/send_dialog.py" line="126"/>
        <source>already there</source>
        <translation>已存在</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/send_dialog.py" line="129"/>
        <source>sent</source>
        <translation>已发送</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/send_dialog.py" line="130"/>
        <source>sent ({message})</source>
        <translation>已发送（{message}）</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/send_dialog.py" line="133"/>
        <source>failed: {message}</source>
        <translation>失败：{message}</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/send_dialog.py" line="159"/>
        <source>Send to PACS</source>
        <translation>发送到 PACS</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/send_dialog.py" line="183"/>
        <source>not sent yet</source>
        <translation>尚未发送</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/send_dialog.py" line="188"/>
        <source>Send</source>
        <translation>发送</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/send_dialog.py" line="192"/>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/send_dialog.py" line="196"/>
        <source>Close</source>
        <translation>关闭</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/send_dialog.py" line="208"/>
        <source>Send to</source>
        <translation>发送到</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/send_dialog.py" line="238"/>
        <source>Not sent: the password or token was not given.</source>
        <translation>未发送：未提供密码或令牌。</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/send_dialog.py" line="242"/>
        <source>sending…</source>
        <translation>正在发送…</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/send_dialog.py" line="244"/>
        <source>Sending 1 file to {node}…</source>
        <translation>正在向 {node} 发送 1 个文件…</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/send_dialog.py" line="246"/>
        <source>Sending {count} files to {node}…</source>
        <translation>正在向 {node} 发送 {count} 个文件…</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/send_dialog.py" line="272"/>
        <source>{sent} of {count} sent, {failed} failed.</source>
        <translation>已发送 {sent}/{count} 个，失败 {failed} 个。</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/send_dialog.py" line="274"/>
        <source>{sent} of {count} sent.</source>
        <translation>已发送 {sent}/{count} 个。</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/send_dialog.py" line="285"/>
        <source>not sent</source>
        <translation>未发送</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/send_dialog.py" line="287"/>
        <source>Sending cancelled; files not yet sent were not sent.</source>
        <translation>发送已取消；尚未发送的文件未发送。</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/send_dialog.py" line="289"/>
        <source>Nothing was sent: {reason}</source>
        <translation>未发送任何文件：{reason}</translation>
    </message>
</context>
<context>
    <name>WebNodeForm</name>
    <message>
        <location filename="../../../desktop/pacs/node_forms.py" line="279"/>
        <source>none</source>
        <comment>no service prefix</comment>
        <translation>无</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/node_forms.py" line="287"/>
        <source>empty: keep the one already kept</source>
        <translation>留空：沿用已保存的</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/node_forms.py" line="292"/>
        <source>empty: the system&apos;s certificate authorities</source>
        <translation>留空：使用系统的证书颁发机构</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/node_forms.py" line="293"/>
        <source>Browse…</source>
        <translation>浏览…</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/node_forms.py" line="307"/>
        <source>Name</source>
        <translation>名称</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/node_forms.py" line="308"/>
        <source>Description</source>
        <translation>描述</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/node_forms.py" line="309"/>
        <source>Base URL</source>
        <translation>基础 URL</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/node_forms.py" line="310"/>
        <source>QIDO-RS prefix</source>
        <translation>QIDO-RS 前缀</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/node_forms.py" line="311"/>
        <source>WADO-RS prefix</source>
        <translation>WADO-RS 前缀</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/node_forms.py" line="312"/>
        <source>STOW-RS prefix</source>
        <translation>STOW-RS 前缀</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/node_forms.py" line="313"/>
        <source>Authentication</source>
        <translation>认证方式</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/node_forms.py" line="314"/>
        <source>User name</source>
        <translation>用户名</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/node_forms.py" line="315"/>
        <source>Password or token</source>
        <translation>密码或令牌</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/node_forms.py" line="317"/>
        <source>TLS CA bundle</source>
        <translation>TLS CA 证书包</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/node_forms.py" line="318"/>
        <source>Used for</source>
        <translation>用途</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/node_forms.py" line="319"/>
        <source>Timeout</source>
        <translation>超时</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/node_forms.py" line="332"/>
        <source>CA bundle</source>
        <translation>CA 证书包</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/node_forms.py" line="334"/>
        <source>Certificates (*.pem *.crt *.cer);;All files (*)</source>
        <translation>证书 (*.pem *.crt *.cer);;所有文件 (*)</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/node_forms.py" line="348"/>
        <source>a node needs a name</source>
        <translation>节点需要名称</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/node_forms.py" line="356"/>
        <source>enter an http:// or https:// address with a host, e.g. https://pacs.example.org/dicom-web</source>
        <translation>请输入带主机名的 http:// 或 https:// 地址，例如 https://pacs.example.org/dicom-web</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/node_forms.py" line="363"/>
        <source>note: over http:// the password travels unencrypted; prefer https://</source>
        <translation>注意：通过 http:// 传输时密码未加密；建议使用 https://</translation>
    </message>
    <message>
        <location filename="../../../desktop/pacs/node_forms.py" line="368"/>
        <source>basic authentication needs a user name</source>
        <translation>基本认证需要用户名</translation>
    </message>
</context>
</TS>
