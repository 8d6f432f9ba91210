# The boot sector behind core/hosts/probe.py's KVM probe (tests/unit/test_kvm_probe.py checks
# that probe.BOOT_SECTOR is exactly this source, assembled with GNU as/ld).
#
# It switches to 32-bit protected mode, returns through IRET (the instruction a KVM without
# hardware virtualisation, such as kvm_pvm, cannot emulate there, so QEMU pauses the guest),
# then loads an empty IDT and raises int3: a triple fault, which resets the machine. The probe
# domain is defined with on_reboot=destroy, so a host that runs this shuts the domain off.
#
#   as --32 -o kvm_probe.o kvm_probe.S
#   ld -m elf_i386 -Ttext=0x7c00 --oformat binary -o kvm_probe.bin kvm_probe.o
    .code16
    .globl _start
_start:
    cli
    xorw %ax, %ax
    movw %ax, %ds
    movw %ax, %ss
    movw $0x7c00, %sp
    lgdtl gdt_desc
    movl %cr0, %eax
    orl $1, %eax
    movl %eax, %cr0
    ljmpl $0x08, $protected
    .code32
protected:
    movw $0x10, %ax
    movw %ax, %ds
    movw %ax, %ss
    movl $0x7c00, %esp
    pushfl
    pushl $0x08
    pushl $returned
    iretl
returned:
    lidtl empty_idt
    int3
halt:
    hlt
    jmp halt
    .balign 8
gdt:
    .quad 0
    .quad 0x00cf9a000000ffff
    .quad 0x00cf92000000ffff
gdt_desc:
    .word gdt_desc - gdt - 1
    .long gdt
empty_idt:
    .word 0
    .long 0
    .org 510
    .word 0xaa55
